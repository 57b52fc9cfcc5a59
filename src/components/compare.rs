//! The compare view: the same seed with protections off and on, both charts side by side and the
//! difference in errors and p99.

use super::charts::Charts;
use super::{Shared, format_ms};
use crate::app::compare::{Side, errors, run_pair};
use crate::app::i18n::{Lang, Msg, group_indian, tr};
use crate::app::state::Action;
use crate::charts::ChartScale;
use crate::engine::Scenario;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub lang: Lang,
    pub scenario: Shared<Scenario>,
    pub seed: u64,
    pub on_action: Callback<Action>,
}

/// `after − before` written with its sign (a true minus) and `format` for the size: `−3,736`.
fn signed(after: u64, before: u64, format: fn(u64) -> String) -> String {
    match after.cmp(&before) {
        std::cmp::Ordering::Greater => format!("+{}", format(after - before)),
        std::cmp::Ordering::Less => format!("\u{2212}{}", format(before - after)),
        std::cmp::Ordering::Equal => format(0),
    }
}

#[component]
pub fn Compare(props: &CompareProps) -> Html {
    let lang = props.lang;
    let result = use_state(|| None::<Result<Rc<(Side, Side)>, String>>);
    {
        let result = result.clone();
        let scenario = Arc::clone(&props.scenario.0);
        let seed = props.seed;
        use_effect_with((), move |_| {
            // Let "running both…" paint first; the runs take a moment.
            let timer = gloo::timers::callback::Timeout::new(30, move || {
                let outcome = run_pair(&scenario, seed)
                    .map(Rc::new)
                    .map_err(|e| e.to_string());
                result.set(Some(outcome));
            });
            move || drop(timer)
        });
    }
    let on_close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleCompare))
    };
    let body = match &*result {
        None => html! { <p class="hint" role="status">{ tr(lang, Msg::CompareRunning) }</p> },
        Some(Err(error)) => html! { <p class="notice" role="alert">{ error.clone() }</p> },
        Some(Ok(pair)) => {
            let (off, on) = (&pair.0, &pair.1);
            let row = |label: Msg, a: String, b: String, diff: String| {
                html! {
                    <tr><th scope="row">{ tr(lang, label) }</th><td>{ a }</td><td>{ b }</td><td>{ diff }</td></tr>
                }
            };
            let (e_off, e_on) = (errors(&off.report), errors(&on.report));
            let pct = |e: u64, side: &Side| e as f64 * 100.0 / side.report.arrived.max(1) as f64;
            let (p_off, p_on) = (off.p99_ms, on.p99_ms);
            // One scale for both, so the two charts can be read against each other.
            let arrivals_end_s = props.scenario.0.duration.as_secs_f64();
            let scale = Some(ChartScale::of(
                &[&off.series, &on.series],
                Some(arrivals_end_s),
            ));
            html! {
                <>
                    <table class="compare-table" data-testid="compare-table">
                        <thead><tr><th></th><th scope="col">{ tr(lang, Msg::CompareOff) }</th><th scope="col">{ tr(lang, Msg::CompareOn) }</th><th scope="col">{ tr(lang, Msg::CompareDifference) }</th></tr></thead>
                        <tbody>
                            { row(Msg::CompareErrors,
                                format!("{} ({:.1} %)", group_indian(e_off), pct(e_off, off)),
                                format!("{} ({:.1} %)", group_indian(e_on), pct(e_on, on)),
                                signed(e_on, e_off, group_indian)) }
                            { row(Msg::CompareP99,
                                format!("{} {}", format_ms((p_off * 1_000.0) as u64), tr(lang, Msg::Milliseconds)),
                                format!("{} {}", format_ms((p_on * 1_000.0) as u64), tr(lang, Msg::Milliseconds)),
                                format!("{} {}", signed((p_on * 1_000.0) as u64, (p_off * 1_000.0) as u64, format_ms), tr(lang, Msg::Milliseconds))) }
                            { row(Msg::CompareDegraded,
                                group_indian(off.report.degraded),
                                group_indian(on.report.degraded),
                                signed(on.report.degraded, off.report.degraded, group_indian)) }
                        </tbody>
                    </table>
                    <div class="compare-charts">
                        <Charts lang={lang} series={Rc::new(off.series.clone())} heading={tr(lang, Msg::CompareOff).to_string()} scale={scale} />
                        <Charts lang={lang} series={Rc::new(on.series.clone())} heading={tr(lang, Msg::CompareOn).to_string()} scale={scale} />
                    </div>
                </>
            }
        }
    };
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="compare-title">
            <div class="dialog compare" data-testid="compare">
                <h2 id="compare-title">{ tr(lang, Msg::CompareTitle) }</h2>
                <p class="hint">{ tr(lang, Msg::CompareHint) }</p>
                if props.scenario.0.has_protections() {
                    { body }
                } else {
                    <p class="hint">{ tr(lang, Msg::CompareNothing) }</p>
                }
                <div class="dialog-actions">
                    <button class="primary" onclick={on_close}>{ tr(lang, Msg::Close) }</button>
                </div>
            </div>
        </div>
    }
}
