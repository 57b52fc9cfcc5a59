//! The few places the app talks to the browser directly: localStorage (which may be missing or
//! blocked in an embedded iframe), the URL, media queries, the document language, and the panel
//! that replaces a crash.

use super::i18n::{Lang, Msg, tr};
use super::settings::{STORAGE_CORRUPT_KEY, STORAGE_KEY};
use wasm_bindgen::JsCast;

/// The element the app renders into (created if the page lacks one).
pub fn app_root() -> Option<web_sys::Element> {
    let document = web_sys::window()?.document()?;
    if let Some(existing) = document.get_element_by_id("lokal") {
        return Some(existing);
    }
    let root = document.create_element("div").ok()?;
    root.set_id("lokal");
    document.body()?.prepend_with_node_1(&root).ok()?;
    Some(root)
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The saved session text, if storage is available and holds one.
pub fn load_session() -> Option<String> {
    local_storage()?.get_item(STORAGE_KEY).ok().flatten()
}

/// Saves the session; silently does nothing where storage is blocked.
pub fn save_session(text: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(STORAGE_KEY, text);
    }
}

/// Whether the first-visit hint was dismissed (where storage is blocked, the hint shows again
/// next visit: nothing else depends on it).
pub fn start_hint_dismissed() -> bool {
    local_storage()
        .and_then(|s| s.get_item(START_HINT_KEY).ok().flatten())
        .is_some()
}

pub fn dismiss_start_hint() {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(START_HINT_KEY, "1");
    }
}

const START_HINT_KEY: &str = "lokal.start-hint-dismissed";

/// Moves an unreadable saved session aside, so it is not lost but no longer in the way.
pub fn set_aside_session(text: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(STORAGE_CORRUPT_KEY, text);
        let _ = storage.remove_item(STORAGE_KEY);
    }
}

/// Where the client point (`x`, `y`) lies within `element`, as fractions of its width and
/// height (0 at its left or top edge, 1 at the other; outside it beyond those).
pub fn fraction_within(element: &web_sys::Element, x: f64, y: f64) -> (f64, f64) {
    let rect = element.get_bounding_client_rect();
    (
        (x - rect.left()) / rect.width().max(1.0),
        (y - rect.top()) / rect.height().max(1.0),
    )
}

/// The page's query string, `?…` included.
pub fn query_string() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Moves keyboard focus to the element with this id (it needs a tabindex), so a panel that just
/// opened is where the learner's eyes and keys are; the page scrolls only if the panel's top is
/// not in view already (so a panel in view does not make the page jump).
pub fn focus(id: &str) {
    if let Some(element) = gloo::utils::document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        // The browser scrolls a focused element only when none of it shows; a tall panel whose
        // top is above the screen, or low on it, is brought up so that it reads from its start.
        let top = element.get_bounding_client_rect().top();
        let screen = web_sys::window()
            .and_then(|w| w.inner_height().ok())
            .and_then(|h| h.as_f64())
            .unwrap_or(f64::INFINITY);
        if top < 0.0 || top > screen * 0.75 {
            element.scroll_into_view_with_bool(true);
        }
        // Focus without the browser's own scroll, which for a panel taller than the screen
        // would centre it and hide its top again.
        let options = web_sys::FocusOptions::new();
        options.set_prevent_scroll(true);
        let _ = element.focus_with_options(&options);
    }
}

/// Replaces the address bar's query (no new history entry), keeping path and fragment.
pub fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let (Ok(path), Ok(hash)) = (location.pathname(), location.hash()) else {
        return;
    };
    if location.search().ok().as_deref() == Some(query) {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}{hash}")),
        );
    }
}

/// The browser's preferred language, if it is one the app speaks.
pub fn browser_lang() -> Lang {
    let language = web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_default();
    if language.starts_with("hi") {
        Lang::Hi
    } else {
        Lang::En
    }
}

pub fn media_query(query: &str) -> Option<web_sys::MediaQueryList> {
    web_sys::window()?.match_media(query).ok().flatten()
}

pub fn prefers_reduced_motion() -> bool {
    media_query("(prefers-reduced-motion: reduce)").is_some_and(|m| m.matches())
}

pub fn set_document_lang(lang: Lang) {
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = element.set_attribute("lang", lang.code());
    }
}

/// Milliseconds from the page's monotonic clock (for pacing; never seen by the engine).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Offers `text` as a file download named `filename`. A Blob URL rather than a `data:` URL, so
/// megabytes of traces are not copied into an attribute. Returns false if the browser refused.
pub fn download(filename: &str, mime: &str, text: &str) -> bool {
    let attempt = || -> Option<()> {
        let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
        let document = web_sys::window()?.document()?;
        let anchor: web_sys::HtmlAnchorElement =
            document.create_element("a").ok()?.dyn_into().ok()?;
        anchor.set_href(&url);
        anchor.set_download(filename);
        document.body()?.append_child(&anchor).ok()?;
        anchor.click();
        anchor.remove();
        // Some browsers cancel a download whose URL is revoked at once; free it a bit later.
        gloo::timers::callback::Timeout::new(20_000, move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        })
        .forget();
        Some(())
    };
    attempt().is_some()
}

/// Replaces a crash with a readable panel offering a reload with the last good scenario.
/// The text is bilingual because the panic may happen before any language is known.
pub fn install_panic_panel() {
    // Through yew, so its renderer does not replace this hook with its own console-only one.
    yew::set_custom_panic_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("Lokal internal error: {message}").into());
        show_fatal_panel(&message);
    }));
}

fn show_fatal_panel(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(panel) = document.get_element_by_id("lokal-fatal") else {
        return;
    };
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let line = |msg: Msg| format!("{} · {}", tr(Lang::En, msg), tr(Lang::Hi, msg));
    let html = format!(
        "<div role=\"alertdialog\" aria-labelledby=\"lokal-fatal-title\" class=\"fatal\">\
         <h2 id=\"lokal-fatal-title\">{}</h2><p>{}</p><pre>{}</pre>\
         <p><a class=\"button\" href=\"?\">{}</a></p></div>",
        escape(&line(Msg::FatalTitle)),
        escape(&line(Msg::FatalBody)),
        escape(message),
        escape(&line(Msg::FatalReload)),
    );
    panel.set_inner_html(&html);
    let _ = panel.remove_attribute("hidden");
    if let Some(app) = document.get_element_by_id("lokal") {
        let _ = app.set_attribute("hidden", "");
    }
    if let Some(link) = panel.query_selector("a").ok().flatten()
        && let Ok(link) = link.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = link.focus();
    }
}
