//! Lokal: a deterministic microservices engine (`engine`) and the web app that plays it on a
//! Mumbai-local style service map (`app` for the logic, `components` for the Yew views).
//! `charts` draws run charts on any plotters backend; `cli` is the headless runner.

pub mod app;
pub mod charts;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod components;
pub mod engine;
