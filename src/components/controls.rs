//! The toolbar: scenario picker, play/pause, step, restart, speed, seed, language, editor, help.
//! Every control has an accessible name and a keyboard shortcut (listed in the help overlay).

use super::{Local, Shared, format_clock};
use crate::app::i18n::Lang;
use crate::app::i18n::{Msg, fill, group_indian, tr};
use crate::app::state::{Action, LiveView, SPEEDS, picker_entries};
use crate::engine::Scenario;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub lang: Lang,
    pub scenario: Shared<Scenario>,
    /// The built-in scenario shown, or `None` for the user's own.
    pub builtin: Option<String>,
    pub seed: u64,
    pub speed: f64,
    pub playing: bool,
    pub editor_open: bool,
    pub traces_open: bool,
    pub help_open: bool,
    pub live: Local<LiveView>,
    pub on_action: Callback<Action>,
}

#[component]
pub fn Controls(props: &ControlsProps) -> Html {
    let lang = props.lang;
    let action = |a: Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(a.clone()))
    };
    let on_pick = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let value = select.value();
            if value != "custom" {
                on_action.emit(Action::ChooseBuiltin(value));
            }
        })
    };
    let on_speed = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Ok(index) = input.value().parse::<usize>() {
                on_action.emit(Action::SetSpeed(SPEEDS[index.min(SPEEDS.len() - 1)]));
            }
        })
    };
    let on_step = action(Action::StepOnce);
    let speed_index = SPEEDS
        .iter()
        .position(|&s| (s - props.speed).abs() < 1e-9)
        .unwrap_or(3);
    let selected_id = props
        .builtin
        .clone()
        .unwrap_or_else(|| "custom".to_string());
    let more_open = use_state_eq(|| false);
    let toggle_more = {
        let more_open = more_open.clone();
        Callback::from(move |_: MouseEvent| more_open.set(!*more_open))
    };
    let live = &props.live.0;
    let over = live.finished && live.now_us > 0;
    let play_label = if props.playing {
        tr(lang, Msg::Pause)
    } else if over {
        tr(lang, Msg::Replay)
    } else {
        tr(lang, Msg::Play)
    };
    html! {
        <nav id="lokal-controls" class="controls" aria-label={tr(lang, Msg::Scenario)}>
            <label class="control picker">
                <span class="control-label">{ tr(lang, Msg::Scenario) }</span>
                <select onchange={on_pick} aria-label={tr(lang, Msg::ChooseScenario)} aria-keyshortcuts="P">
                    { for picker_entries().iter().map(|(id, title)| {
                        html! { <option value={*id} selected={selected_id == *id}>{ title.in_language(lang.code()).to_string() }</option> }
                    }) }
                    if selected_id == "custom" {
                        <option value="custom" selected=true>{ format!("{} — {}", tr(lang, Msg::CustomScenario), props.scenario.0.title.in_language(lang.code())) }</option>
                    }
                </select>
            </label>
            <div class="control-group" role="group" aria-label={tr(lang, Msg::Play)}>
                <button class={classes!("primary", props.playing.then_some("playing"))} onclick={action(Action::TogglePlay)}
                        aria-keyshortcuts="Space" title={format!("{play_label} (Space)")}>
                    <span aria-hidden="true" class="icon">{ if props.playing { "❚❚" } else if over { "↻" } else { "▶" } }</span>
                    <span class="button-text">{ play_label }</span>
                </button>
                <button onclick={on_step} aria-keyshortcuts="." title={format!("{} (.)", tr(lang, Msg::Step))}>
                    <span aria-hidden="true" class="icon">{ "⇥" }</span>
                    <span class="button-text">{ tr(lang, Msg::StepShort) }</span>
                </button>
                <button onclick={action(Action::Restart)} aria-keyshortcuts="R" title={format!("{} (R)", tr(lang, Msg::Restart))}>
                    <span aria-hidden="true" class="icon">{ "↺" }</span>
                    <span class="button-text">{ tr(lang, Msg::Restart) }</span>
                </button>
            </div>
            <div class="control-group speed" role="group" aria-label={tr(lang, Msg::Speed)}>
                <button onclick={action(Action::Slower)} aria-label={tr(lang, Msg::Slower)} aria-keyshortcuts="-" title={format!("{} (−)", tr(lang, Msg::Slower))}><span aria-hidden="true">{ "−" }</span></button>
                <label class="speed-slider">
                    <span class="control-label">{ tr(lang, Msg::Speed) }</span>
                    <input type="range" min="0" max={(SPEEDS.len() - 1).to_string()} step="1"
                        value={speed_index.to_string()} oninput={on_speed}
                        aria-label={tr(lang, Msg::Speed)} aria-valuetext={format!("{}×", props.speed)} />
                </label>
                <output class="speed-value" aria-live="polite">{ format!("{}×", props.speed) }</output>
                <button onclick={action(Action::Faster)} aria-label={tr(lang, Msg::Faster)} aria-keyshortcuts="+" title={format!("{} (+)", tr(lang, Msg::Faster))}><span aria-hidden="true">{ "+" }</span></button>
            </div>
            <div class="status" role="status" aria-live="off">
                <span class="clock" title={tr(lang, Msg::VirtualTime)}>
                    <span class="control-label">{ tr(lang, Msg::VirtualTime) }</span>
                    <span class="clock-value" data-testid="clock">{ format_clock(live.now_us) }</span>
                </span>
                if live.behind {
                    <span class="badge warn" title={tr(lang, Msg::Behind)}>{ "⚠ " }{ tr(lang, Msg::BehindShort) }</span>
                }
                if live.finished && live.now_us > 0 {
                    <span class="badge done" title={tr(lang, Msg::Finished)}>{ "✓ " }{ tr(lang, Msg::Finished) }</span>
                }
            </div>
            // In an embed or on a phone the toolbar keeps one row: what is used less (seed, language,
            // editor, traces, compare, help, counters) folds into a drawer under "More". On a wide
            // screen the drawer is not a box at all and its controls sit in the row.
            <button class="more-toggle" aria-expanded={more_open.to_string()} aria-controls="more-controls"
                    onclick={toggle_more} data-testid="more-controls-toggle" title={tr(lang, Msg::MoreControls)}>
                <span aria-hidden="true">{ if *more_open { "✕" } else { "☰" } }</span>
                <span class="more-word">{ tr(lang, Msg::MoreControls) }</span>
            </button>
            <div id="more-controls" class={classes!("more-controls", more_open.then_some("open"))}>
            <SeedField seed={props.seed} lang={lang} on_action={props.on_action.clone()} />
            <div class="control-group misc">
                <button onclick={action(Action::ToggleLang)} title={tr(lang, Msg::LanguageName)} aria-keyshortcuts="L" lang={lang.other().code()}>{ tr(lang, Msg::Language) }</button>
                <button onclick={action(Action::ToggleEditor)} title={tr(lang, Msg::Editor)} aria-keyshortcuts="E" aria-expanded={props.editor_open.to_string()}>{ tr(lang, Msg::EditorShort) }</button>
                <button onclick={action(Action::ToggleTraces)} title={format!("{} (T)", tr(lang, Msg::ShortcutTraces))} aria-keyshortcuts="T"
                        aria-expanded={props.traces_open.to_string()} aria-controls="trace-panel" data-testid="traces-button">{ tr(lang, Msg::Traces) }</button>
                if props.scenario.0.has_protections() {
                    <button onclick={action(Action::ToggleCompare)} title={tr(lang, Msg::CompareTitle)} aria-keyshortcuts="V" data-testid="compare-button">{ tr(lang, Msg::Compare) }</button>
                }
                <button onclick={action(Action::ToggleHelp)} aria-label={tr(lang, Msg::Help)} title={tr(lang, Msg::Help)} aria-keyshortcuts="?" aria-expanded={props.help_open.to_string()}><span aria-hidden="true">{ "?" }</span></button>
            </div>
            <dl class="counters" aria-label={tr(lang, Msg::Throughput)}>
                <div class="counter"><dt>{ tr(lang, Msg::Arrived) }</dt><dd data-testid="arrived">{ group_indian(live.counters.arrived) }</dd></div>
                <div class="counter ok"><dt>{ tr(lang, Msg::Completed) }</dt><dd data-testid="completed">{ group_indian(live.counters.completed) }</dd></div>
                <div class="counter bad"><dt>{ tr(lang, Msg::Failed) }</dt><dd data-testid="failed">{ group_indian(live.counters.failed) }</dd></div>
                <div class="counter warn"><dt>{ tr(lang, Msg::Rejected) }</dt><dd data-testid="rejected">{ group_indian(live.counters.rejected) }</dd></div>
                <div class="counter warn"><dt>{ tr(lang, Msg::TimedOut) }</dt><dd data-testid="timed-out">{ group_indian(live.counters.timed_out) }</dd></div>
                <div class="counter"><dt>{ tr(lang, Msg::InFlight) }</dt><dd data-testid="in-flight">{ group_indian(live.counters.in_flight()) }</dd></div>
                <div class="counter"><dt>{ tr(lang, Msg::Throughput) }</dt><dd>{ live.last_second.map(|p| fill(lang, Msg::FlowLabel, &[&p.completed.to_string()])).unwrap_or_else(|| "—".into()) }</dd></div>
            </dl>
            </div>
        </nav>
    }
}

#[derive(Properties, PartialEq)]
struct SeedFieldProps {
    seed: u64,
    lang: crate::app::i18n::Lang,
    on_action: Callback<Action>,
}

/// The seed field: its own component, so the ten-a-second refresh of the toolbar does not
/// overwrite what the user is typing (it re-renders only when the seed or language changes).
#[component]
fn SeedField(props: &SeedFieldProps) -> Html {
    let lang = props.lang;
    let seed_input = use_node_ref();
    let action = |a: Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(a.clone()))
    };
    let apply_seed = {
        let on_action = props.on_action.clone();
        let seed_input = seed_input.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if let Some(input) = seed_input.cast::<HtmlInputElement>() {
                match input.value().trim().parse::<u64>() {
                    Ok(seed) => on_action.emit(Action::SetSeed(seed)),
                    Err(_) => on_action.emit(Action::Notify(
                        Msg::NoticeBadParam,
                        vec![
                            "seed".into(),
                            input.value().chars().take(40).collect(),
                            "0 … 18446744073709551615".into(),
                        ],
                    )),
                }
            }
        })
    };
    html! {
            <form class="control-group seed" onsubmit={apply_seed}>
                <label>
                    <span class="control-label">{ tr(lang, Msg::Seed) }</span>
                    <input ref={seed_input} id="seed-input" type="text" inputmode="numeric" size="8" value={props.seed.to_string()}
                        aria-label={tr(lang, Msg::Seed)} aria-keyshortcuts="I" />
                </label>
                <button type="submit" aria-label={tr(lang, Msg::ApplySeed)} title={tr(lang, Msg::ApplySeed)}><span aria-hidden="true">{ "✓" }</span></button>
                <button type="button" onclick={action(Action::Reseed)} aria-label={tr(lang, Msg::Reseed)} aria-keyshortcuts="S" title={format!("{} (S)", tr(lang, Msg::Reseed))}><span aria-hidden="true">{ "⚄" }</span></button>
            </form>
    }
}
