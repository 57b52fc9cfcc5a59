//! The help overlay: every keyboard shortcut, in the user's language.

use crate::app::i18n::{Lang, Msg, tr};
use crate::app::state::Action;
use yew::prelude::*;

/// (keys, what they do), in the order the overlay lists them.
pub const SHORTCUTS: [(&str, Msg); 26] = [
    ("Space / K", Msg::ShortcutPlay),
    (". / N", Msg::ShortcutStep),
    ("+ / ]", Msg::ShortcutFaster),
    ("− / [", Msg::ShortcutSlower),
    ("R", Msg::ShortcutRestart),
    ("S", Msg::ShortcutReseed),
    ("I", Msg::ShortcutSeed),
    ("P", Msg::ShortcutScenario),
    ("G", Msg::ShortcutNextStation),
    ("Tab, Enter", Msg::ShortcutNextStation),
    ("J", Msg::ShortcutRequest),
    ("T", Msg::ShortcutTraces),
    ("D", Msg::ShortcutCircuits),
    ("A", Msg::ShortcutSagas),
    ("M", Msg::ShortcutCharts),
    ("C", Msg::ShortcutCrash),
    ("W", Msg::ShortcutSlow),
    ("F", Msg::ShortcutFail),
    ("X", Msg::ShortcutHeal),
    ("L", Msg::ShortcutLang),
    ("E", Msg::ShortcutEditor),
    ("V", Msg::ShortcutCompare),
    ("Z / Shift+Z", Msg::ShortcutZoom),
    ("Shift + ← ↑ → ↓", Msg::ShortcutPan),
    ("0", Msg::ShortcutFit),
    ("? / H · Esc", Msg::ShortcutHelp),
];

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub lang: Lang,
    pub on_action: Callback<Action>,
}

#[component]
pub fn Help(props: &HelpProps) -> Html {
    let lang = props.lang;
    let close_button = use_node_ref();
    {
        let close_button = close_button.clone();
        use_effect_with((), move |_| {
            if let Some(button) = close_button.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let on_close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleHelp))
    };
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title">
            <div class="dialog">
                <h2 id="help-title">{ tr(lang, Msg::Help) }</h2>
                <table class="shortcuts">
                    <thead><tr><th scope="col">{ tr(lang, Msg::KeyColumn) }</th><th scope="col">{ tr(lang, Msg::ActionColumn) }</th></tr></thead>
                    <tbody>
                        { for SHORTCUTS.iter().map(|(keys, msg)| html! {
                            <tr><td><kbd>{ *keys }</kbd></td><td>{ tr(lang, *msg) }</td></tr>
                        }) }
                        <tr><td><kbd>{ "Esc" }</kbd></td><td>{ tr(lang, Msg::ShortcutEscape) }</td></tr>
                    </tbody>
                </table>
                <button ref={close_button} class="primary" onclick={on_close}>{ tr(lang, Msg::Close) }</button>
            </div>
        </div>
    }
}
