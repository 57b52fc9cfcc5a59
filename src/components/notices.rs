//! Notices: bad URL parameters, set-aside storage, loaded scenarios. Polite, dismissable.

use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::app::state::{Action, Notice};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NoticesProps {
    pub lang: Lang,
    pub notices: Vec<Notice>,
    pub on_action: Callback<Action>,
}

#[component]
pub fn Notices(props: &NoticesProps) -> Html {
    let lang = props.lang;
    html! {
        <div class="notices" role="status" aria-live="polite" aria-label={tr(lang, Msg::Notices)}>
            { for props.notices.iter().map(|notice| {
                let args: Vec<&str> = notice.args.iter().map(String::as_str).collect();
                let on_dismiss = {
                    let on_action = props.on_action.clone();
                    let id = notice.id;
                    Callback::from(move |_: MouseEvent| on_action.emit(Action::Dismiss(id)))
                };
                html! {
                    <div class="notice" key={notice.id} data-testid="notice">
                        <span>{ fill(lang, notice.msg, &args) }</span>
                        <button class="dismiss" onclick={on_dismiss} aria-label={tr(lang, Msg::Dismiss)}><span aria-hidden="true">{ "×" }</span></button>
                    </div>
                }
            }) }
        </div>
    }
}
