//! Lokal: a deterministic microservices engine (`engine`) and the web app that plays it on a
//! Mumbai-local style service map (`components`, `app`). `cli` is the headless runner's logic.

pub mod cli;
pub mod engine;
