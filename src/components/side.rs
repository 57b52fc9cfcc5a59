//! The side panel's tab strip (the WAI-ARIA tabs pattern): one panel at a time beside the map,
//! or under it on a narrow screen, so that an embed or a phone is not a long column of panels.
//! ←/→, Home and End move between tabs; each tab also has a shortcut that opens its panel with
//! the focus on it.

use crate::app::browser;
use crate::app::i18n::{Lang, Msg, tr};
use crate::app::state::{Action, SideTab};
use yew::prelude::*;

/// The tab's name and its shortcut key.
pub fn tab_words(tab: SideTab) -> (Msg, &'static str) {
    match tab {
        SideTab::Station => (Msg::Station, ""),
        SideTab::Circuits => (Msg::Circuits, "D"),
        SideTab::Sagas => (Msg::Sagas, "A"),
        SideTab::Charts => (Msg::ChartsHeading, "M"),
    }
}

/// The id of a tab's button; its panel is labelled by it.
pub fn tab_id(tab: SideTab) -> String {
    format!("side-tab-{}", tab.key())
}

#[derive(Properties, PartialEq)]
pub struct SideTabsProps {
    pub lang: Lang,
    pub tabs: Vec<SideTab>,
    pub shown: SideTab,
    pub on_action: Callback<Action>,
}

#[component]
pub fn SideTabs(props: &SideTabsProps) -> Html {
    let lang = props.lang;
    let tabs = props.tabs.clone();
    let shown = props.shown;
    // Arrow keys move between the tabs and show the one reached (automatic activation: a
    // panel is cheap to show), keeping the focus on the strip.
    let on_key = {
        let on_action = props.on_action.clone();
        let tabs = tabs.clone();
        Callback::from(move |event: KeyboardEvent| {
            let at = tabs.iter().position(|&t| t == shown).unwrap_or(0);
            let next = match event.key().as_str() {
                "ArrowRight" | "ArrowDown" => (at + 1) % tabs.len(),
                "ArrowLeft" | "ArrowUp" => (at + tabs.len() - 1) % tabs.len(),
                "Home" => 0,
                "End" => tabs.len() - 1,
                _ => return,
            };
            event.prevent_default();
            event.stop_propagation();
            let tab = tabs[next];
            on_action.emit(Action::ShowSideTab { tab, focus: false });
            browser::focus(&tab_id(tab));
        })
    };
    html! {
        <div class="side-tabs" role="tablist" aria-label={tr(lang, Msg::SidePanels)} onkeydown={on_key}>
            { for tabs.iter().map(|&tab| {
                let (name, key) = tab_words(tab);
                let selected = tab == shown;
                let on_action = props.on_action.clone();
                let title = if key.is_empty() { tr(lang, name).to_string() } else { format!("{} ({key})", tr(lang, name)) };
                html! {
                    <button role="tab" id={tab_id(tab)} aria-selected={selected.to_string()} aria-controls="side-panel"
                            tabindex={if selected { "0" } else { "-1" }} title={title} data-tab={tab.key()}
                            aria-keyshortcuts={(!key.is_empty()).then_some(key)}
                            onclick={move |_: MouseEvent| on_action.emit(Action::ShowSideTab { tab, focus: false })}>
                        { tr(lang, name) }
                    </button>
                }
            }) }
        </div>
    }
}
