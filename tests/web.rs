//! Tests that run inside headless Chromium (wasm-bindgen-test): the engine computes the same
//! trace hash in wasm32 as natively, and the components render what they should.
//!
//! `LOKAL_NATIVE_TRACE_HASH` must hold the native hash of the reference run at compile time;
//! scripts/check.sh sets it from `lokal-cli`. Without it the hash test fails rather than passes.
#![cfg(target_arch = "wasm32")]

use gloo::timers::future::TimeoutFuture;
use lokal::app::i18n::Lang;
use lokal::app::i18n::Msg;
use lokal::app::layout::{MapLayout, MapView};
use lokal::app::state::{Action, LiveView, Notice};
use lokal::components::help::{Help, HelpProps, SHORTCUTS};
use lokal::components::map::{Map, MapProps};
use lokal::components::notices::{Notices, NoticesProps};
use lokal::components::{Local, Shared};
use lokal::engine::builtin::load_builtin;
use lokal::engine::format_hash;
use lokal::engine::observe::reference::reference_trace_hash;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen_test::*;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_wasm_trace_hash_equals_the_native_one() {
    // Read at compile time; a missing value fails this test instead of skipping it.
    let native = match option_env!("LOKAL_NATIVE_TRACE_HASH") {
        Some(hash) => hash,
        None => panic!(
            "build with LOKAL_NATIVE_TRACE_HASH set to the native hash (scripts/check.sh does)"
        ),
    };
    let wasm = reference_trace_hash()
        .map(format_hash)
        .expect("the reference run completes");
    assert_eq!(wasm, native, "wasm32 and native runs differ");
}

/// A fresh element in the page to render into.
fn mount_point() -> web_sys::Element {
    let document = gloo::utils::document();
    let div = document.create_element("div").expect("div");
    document
        .body()
        .expect("body")
        .append_child(&div)
        .expect("append");
    div
}

fn map_props(id: &str, lang: Lang) -> MapProps {
    let scenario = match load_builtin(id) {
        Some(Ok(scenario)) => Arc::new(scenario),
        other => panic!("{id}: {other:?}"),
    };
    MapProps {
        layout: Local(Rc::new(MapLayout::new(&scenario))),
        scenario: Shared(scenario),
        lang,
        live: Local(Rc::new(LiveView::default())),
        selected_station: None,
        trace_path: None,
        reduced_motion: false,
        view: MapView::FIT,
        on_action: Callback::noop(),
    }
}

#[wasm_bindgen_test]
async fn the_map_draws_every_station_and_line() {
    let root = mount_point();
    let props = map_props("flipkart", Lang::En);
    let stations = props.scenario.0.stations.len() as u32;
    let lines = props.scenario.0.lines.len() as u32;
    let interchanges = props
        .scenario
        .0
        .stations
        .iter()
        .filter(|s| s.lines.len() > 1)
        .count() as u32;
    yew::Renderer::<Map>::with_root_and_props(root.clone(), props).render();
    TimeoutFuture::new(20).await;
    let count = |selector: &str| {
        root.query_selector_all(selector)
            .expect("selector")
            .length()
    };
    assert_eq!(count("[data-station]"), stations);
    assert_eq!(count(".track"), lines);
    assert_eq!(count(".is-interchange"), interchanges);
    assert!(interchanges >= 3, "Dadar, Kurla and CSMT are interchanges");
    assert!(
        root.query_selector("[data-station=\"CSMT\"]")
            .expect("query")
            .is_some()
    );
}

#[wasm_bindgen_test]
async fn the_map_speaks_hindi() {
    let root = mount_point();
    yew::Renderer::<Map>::with_root_and_props(root.clone(), map_props("flipkart", Lang::Hi))
        .render();
    TimeoutFuture::new(20).await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("दादर"), "{text}");
    assert!(text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)));
}

#[wasm_bindgen_test]
async fn the_flow_overlay_appears_only_in_reduced_motion() {
    let root = mount_point();
    let mut props = map_props("flipkart", Lang::En);
    let csmt = props.scenario.0.station_named("CSMT").expect("CSMT");
    let dadar = props.scenario.0.station_named("Dadar").expect("Dadar");
    props.live = Local(Rc::new(LiveView {
        flows: vec![(csmt, dadar, 42.0)],
        ..LiveView::default()
    }));
    props.reduced_motion = true;
    let segments = props.layout.0.station_route(csmt, dadar).len() as u32 - 1;
    yew::Renderer::<Map>::with_root_and_props(root.clone(), props).render();
    TimeoutFuture::new(20).await;
    assert_eq!(
        root.query_selector_all(".flow").expect("query").length(),
        segments
    );
    assert!(root.text_content().unwrap_or_default().contains("42/s"));
}

#[wasm_bindgen_test]
async fn a_selected_trace_lights_its_hops_on_the_map() {
    use lokal::app::traces::{PathHop, trace_path};
    let root = mount_point();
    let mut props = map_props("paytm-saga", Lang::En);
    // A real trace from a short run: its client spans' hops.
    let mut scenario = (*props.scenario.0).clone();
    scenario.duration = lokal::engine::SimDuration::from_secs(20);
    let mut engine = lokal::engine::Engine::new(Arc::new(scenario), 3);
    engine.run_until_idle(u64::MAX).expect("finite");
    let trace = engine
        .retained_traces()
        .into_iter()
        .find(|t| t.spans.len() > 8)
        .expect("a saga trace");
    let hops: Vec<PathHop> = trace_path(&trace);
    let moving = hops.iter().filter(|h| h.from != h.to).count() as u32;
    assert!(moving >= 3, "{hops:?}");
    props.trace_path = Some(Rc::new(hops));
    yew::Renderer::<Map>::with_root_and_props(root.clone(), props).render();
    TimeoutFuture::new(20).await;
    assert_eq!(
        root.query_selector_all("[data-testid=trace-path] .trace-path-core")
            .expect("query")
            .length(),
        moving
    );
}

#[wasm_bindgen_test]
async fn notices_render_in_the_chosen_language() {
    let root = mount_point();
    let props = NoticesProps {
        lang: Lang::Hi,
        notices: vec![Notice {
            id: 1,
            msg: Msg::ScenarioLoaded,
            args: Vec::new(),
            topic: None,
        }],
        on_action: Callback::from(|_: Action| {}),
    };
    yew::Renderer::<Notices>::with_root_and_props(root.clone(), props).render();
    TimeoutFuture::new(20).await;
    assert_eq!(
        root.query_selector_all("[data-testid=notice]")
            .expect("query")
            .length(),
        1
    );
    assert!(
        root.text_content()
            .unwrap_or_default()
            .contains("परिदृश्य लोड हुआ")
    );
}

#[wasm_bindgen_test]
async fn help_lists_every_shortcut() {
    let root = mount_point();
    let props = HelpProps {
        lang: Lang::En,
        on_action: Callback::noop(),
    };
    yew::Renderer::<Help>::with_root_and_props(root.clone(), props).render();
    TimeoutFuture::new(20).await;
    let rows = root
        .query_selector_all(".shortcuts tbody tr")
        .expect("query")
        .length() as usize;
    assert_eq!(rows, SHORTCUTS.len() + 1, "every shortcut plus Escape");
}
