//! The time bar under the map: the run's virtual time so far, a mark for each moment the
//! scenario scripts (its faults, flash sales, rate changes) that jumps there, and one line
//! saying what happens next and what to watch then.

use super::{Shared, format_clock};
use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::app::moments::{Moment, MomentKind, next_moment, scripted_moments};
use crate::app::state::Action;
use crate::engine::{Command, Scenario};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimeBarProps {
    pub lang: Lang,
    pub scenario: Shared<Scenario>,
    pub now_us: u64,
    pub on_action: Callback<Action>,
}

/// A moment's time as the clock writes it, without a needless ".0" ("20 s", "1 min 30.0 s").
fn seconds(us: u64) -> String {
    if us < 60_000_000 && us.is_multiple_of(1_000_000) {
        format!("{} s", us / 1_000_000)
    } else {
        format_clock(us)
    }
}

/// What happens at a moment, in words, and what to watch then.
pub fn moment_text(lang: Lang, scenario: &Scenario, moment: &Moment) -> String {
    let service = |id: crate::engine::ids::ServiceId| {
        scenario
            .service(id)
            .label
            .in_language(lang.code())
            .to_string()
    };
    let station = |id: crate::engine::ids::StationId| {
        scenario
            .station(id)
            .label
            .in_language(lang.code())
            .to_string()
    };
    match &moment.kind {
        MomentKind::Spike {
            multiplier,
            duration_us,
        } => fill(
            lang,
            Msg::WatchSpike,
            &[&format!("{multiplier}"), &seconds(*duration_us)],
        ),
        MomentKind::Rate { per_s } => fill(lang, Msg::WatchRate, &[&format!("{per_s}")]),
        MomentKind::Fault(command) => match command {
            Command::Slow {
                service: s, factor, ..
            } => fill(lang, Msg::WatchSlow, &[&service(*s), &format!("{factor}")]),
            Command::Errors {
                service: s,
                probability,
                ..
            } => fill(
                lang,
                Msg::WatchErrors,
                &[&service(*s), &format!("{:.0}", probability * 100.0)],
            ),
            Command::Crash {
                service: s,
                instance,
                ..
            } => fill(
                lang,
                Msg::WatchCrash,
                &[&service(*s), &instance.to_string()],
            ),
            Command::Restart {
                service: s,
                instance,
            } => fill(
                lang,
                Msg::WatchRestart,
                &[&service(*s), &instance.to_string()],
            ),
            Command::Partition { a, b, .. } => {
                fill(lang, Msg::WatchPartition, &[&station(*a), &station(*b)])
            }
            Command::Heal => tr(lang, Msg::WatchHeal).to_string(),
            Command::Pattern(_) => tr(lang, Msg::WatchPolicy).to_string(),
        },
    }
}

fn symbol(kind: &MomentKind) -> &'static str {
    match kind {
        MomentKind::Spike { .. } | MomentKind::Rate { .. } => "▲",
        MomentKind::Fault(Command::Heal | Command::Restart { .. }) => "✚",
        MomentKind::Fault(_) => "⚡",
    }
}

#[component]
pub fn TimeBar(props: &TimeBarProps) -> Html {
    let lang = props.lang;
    let scenario = &props.scenario.0;
    let moments = use_memo(std::sync::Arc::as_ptr(scenario) as usize, {
        let scenario = std::sync::Arc::clone(scenario);
        move |_| scripted_moments(&scenario)
    });
    let duration_us = scenario.duration.0.max(1);
    let now_us = props.now_us;
    let share = |us: u64| (us as f64 / duration_us as f64 * 100.0).clamp(0.0, 100.0);
    let next = next_moment(&moments, now_us);
    let watch = match next {
        Some(moment) => fill(
            lang,
            Msg::WatchNext,
            &[&seconds(moment.at_us), &moment_text(lang, scenario, moment)],
        ),
        None if moments.is_empty() => tr(lang, Msg::WatchNothingScripted).to_string(),
        None => tr(lang, Msg::WatchNoMore).to_string(),
    };
    let marks = moments.iter().enumerate().map(|(index, moment)| {
        let passed = moment.at_us <= now_us;
        let text = moment_text(lang, scenario, moment);
        let label = fill(lang, Msg::JumpTo, &[&seconds(moment.at_us), &text]);
        let onclick = {
            let on_action = props.on_action.clone();
            let at = moment.at_us;
            Callback::from(move |_: MouseEvent| on_action.emit(Action::JumpTo(at)))
        };
        html! {
            <button key={index} class={classes!("moment", passed.then_some("passed"))} style={format!("left: {:.2}%", share(moment.at_us))}
                    disabled={passed} aria-label={label.clone()} title={label} {onclick} data-testid="moment">
                <span aria-hidden="true">{ symbol(&moment.kind) }</span>
            </button>
        }
    });
    html! {
        <div class="timebar" role="group" aria-label={tr(lang, Msg::TimeBar)} data-testid="timebar">
            <div class="timebar-track">
                <div class="timebar-done" style={format!("width: {:.2}%", share(now_us))}></div>
                { for marks }
            </div>
            <div class="timebar-ends" aria-hidden="true"><span>{ seconds(0) }</span><span>{ seconds(duration_us) }</span></div>
            <p class="watch" data-testid="watch">{ watch }</p>
        </div>
    }
}
