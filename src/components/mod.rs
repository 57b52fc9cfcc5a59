//! Yew function components. The root (`app`) owns the UI state and the player; every other
//! component gets only what it shows, as narrow props (the language, the scenario, the live
//! figures, its selections) and sends `Action`s back. None of them touches the engine: the
//! player is the one door to it. The logic they need lives in `crate::app`, tested without a
//! browser.

pub mod app;
pub mod charts;
pub mod compare;
pub mod controls;
pub mod dependencies;
pub mod dots;
pub mod editor;
pub mod help;
pub mod inspector;
pub mod map;
pub mod notices;
pub mod sagas;
pub mod side;
pub mod timebar;
pub mod trace_plots;
pub mod traces;

use std::rc::Rc;
use std::sync::Arc;

/// An `Arc` prop compared by identity: the same scenario object means nothing changed.
#[derive(Clone, Debug)]
pub struct Shared<T>(pub Arc<T>);

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// An `Rc` prop compared by identity.
#[derive(Clone, Debug)]
pub struct Local<T>(pub Rc<T>);

impl<T> PartialEq for Local<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Formats virtual time for display: `12.3 s` or `2 min 05.0 s`.
pub fn format_clock(us: u64) -> String {
    let seconds = us as f64 / 1_000_000.0;
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let minutes = (seconds / 60.0).floor();
        format!("{minutes:.0} min {:04.1} s", seconds - minutes * 60.0)
    }
}

/// A share (0–1) as a CSS percentage.
pub fn percent(x: f64) -> String {
    format!("{:.3}%", x * 100.0)
}

/// Microseconds shown as milliseconds with sensible precision.
pub fn format_ms(us: u64) -> String {
    crate::engine::histogram::format_ms(us as f64 / 1_000.0)
}

/// One figure of a `<dl class="figures">`: a label and its value. One function instead of the
/// same markup at every site keeps the wasm bundle small (each `html!` site is inlined code).
#[inline(never)]
pub fn figure(label: &str, value: String) -> yew::Html {
    yew::html! { <div><dt>{ label }</dt><dd>{ value }</dd></div> }
}

/// A figure with an optional class on its row and a test id on its value.
#[inline(never)]
pub fn figure_marked(
    label: &str,
    value: String,
    class: Option<&'static str>,
    test_id: &'static str,
) -> yew::Html {
    yew::html! { <div class={class}><dt>{ label }</dt><dd data-testid={test_id}>{ value }</dd></div> }
}

/// A class attribute from (class, on) pairs, without the `classes!` machinery at every site.
#[inline(never)]
pub fn class_list(parts: &[(&'static str, bool)]) -> String {
    let mut out = String::new();
    for &(class, on) in parts {
        if on {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(class);
        }
    }
    out
}
