//! The web app: the state and logic behind the components, split so everything that can be
//! plain Rust is (and is tested natively), and only `browser` and `components` touch the DOM.
//!
//! - `state`: the UI state and its pure reducer;
//! - `traces`: the trace panel's filter, waterfall rows and map path;
//! - `player`: pacing the engine against the wall clock, dots, flows, request traces;
//! - `layout`: where stations and tracks go on the map, and the zoomed view of it;
//! - `moments`: a scenario's scripted moments, for the time bar;
//! - `settings`: URL parameters and the saved session;
//! - `i18n`: the English and Hindi message catalogue;
//! - `editor`: the scenario editor's text logic (problem places, line numbers, seeds);
//! - `browser`: localStorage, the URL, media queries, the panic panel.

pub mod browser;
pub mod compare;
pub mod editor;
pub mod i18n;
pub mod layout;
pub mod moments;
pub mod player;
pub mod settings;
pub mod state;
pub mod traces;

/// Mounts the app on the page (the wasm entry point).
pub fn start() {
    browser::install_panic_panel();
    if let Some(root) = browser::app_root() {
        yew::Renderer::<crate::components::app::App>::with_root(root).render();
    }
}
