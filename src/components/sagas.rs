//! The saga panel: each saga's totals, and its recent runs as timelines — one lane per step,
//! the action's bar and, when the saga undoes itself, the compensation's bar in brown dashes,
//! with the outcome written out. A run opens its request's trace.

use super::inspector::status_text;
use super::{Local, Shared, format_ms};
use crate::app::browser;
use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::app::state::{Action, LiveView};
use crate::engine::Scenario;
use crate::engine::saga::SagaMode;
use crate::engine::saga::{SagaPhase, SagaView};
use yew::prelude::*;

/// How many runs the panel lists (newest first).
const RUNS_SHOWN: usize = 6;

/// A finished run stays listed at least this long (wall-clock milliseconds).
const FINISHED_DWELL_MS: f64 = 1000.0;

/// The newest `count` finished runs, newest first, with one that compensated among them if any
/// run compensated lately (that is what a learner comes to see).
fn newest_finished(runs: &[SagaView], count: usize) -> Vec<&SagaView> {
    let mut finished: Vec<&SagaView> = runs
        .iter()
        .rev()
        .filter(|r| r.ended_us.is_some())
        .take(count)
        .collect();
    if !finished.iter().any(|r| r.phase == SagaPhase::Compensated)
        && let Some(compensated) = runs
            .iter()
            .rev()
            .find(|r| r.phase == SagaPhase::Compensated)
        && finished.pop().is_some()
    {
        finished.push(compensated);
    }
    finished
}

#[derive(Properties, PartialEq)]
pub struct SagaPanelProps {
    pub lang: Lang,
    pub scenario: Shared<Scenario>,
    pub live: Local<LiveView>,
    pub on_action: Callback<Action>,
}

fn share(t: u64, start: u64, total: u64) -> f64 {
    (t.saturating_sub(start) as f64 / total.max(1) as f64).clamp(0.0, 1.0) * 100.0
}

#[component]
pub fn SagaPanel(props: &SagaPanelProps) -> Html {
    let lang = props.lang;
    let scenario = &props.scenario.0;
    let live = &props.live.0;
    // (Before any return: hooks run in the same order at every render.) When the finished
    // runs listed were chosen, and which they are.
    let kept_finished = use_mut_ref(|| (f64::NEG_INFINITY, Vec::<u64>::new()));
    if scenario.sagas().is_empty() {
        return Html::default();
    }
    let now = live.now_us;
    let totals = scenario.sagas().iter().enumerate().map(|(index, saga)| {
        let c = live.patterns.saga.counters.get(index).copied().unwrap_or_default();
        let running = c.started - c.completed - c.compensated;
        let mode = match saga.mode {
            SagaMode::Orchestration => Msg::SagaOrchestration,
            SagaMode::Choreography => Msg::SagaChoreography,
        };
        html! {
            <div class="saga-totals" key={index}>
                <h4>{ saga.label.in_language(lang.code()) }</h4>
                <p class="hint">{ fill(lang, Msg::SagaMode, &[tr(lang, mode)]) }</p>
                <p data-testid="saga-counts">{ fill(lang, Msg::SagaCounts, &[
                    &c.started.to_string(), &c.completed.to_string(), &c.compensated.to_string(), &running.to_string(),
                ]) }</p>
                <p class="hint">{ fill(lang, Msg::SagaMore, &[
                    &c.compensations_run.to_string(), &c.retries.to_string(), &c.lock_observations.to_string(),
                ]) }</p>
            </div>
        }
    });
    // The newest two runs in flight, then the newest finished ones — with at least one that
    // compensated, if any did lately, because that is what a learner comes to see.
    let running: Vec<&SagaView> = live
        .patterns
        .saga
        .runs
        .iter()
        .rev()
        .filter(|r| r.ended_us.is_none())
        .take(2)
        .collect();
    let finished_wanted = (RUNS_SHOWN - running.len()).min(
        live.patterns
            .saga
            .runs
            .iter()
            .filter(|r| r.ended_us.is_some())
            .count(),
    );
    // The newest finished runs, with one that compensated if any did lately — chosen again
    // only once those listed have been there a second (or one of them left the engine's
    // window): at 5× a run finishes every few tens of milliseconds, faster than anyone reads,
    // and each replacement is new DOM to build and lay out.
    let now_ms = browser::now_ms();
    let chosen = {
        let mut kept = kept_finished.borrow_mut();
        let runs = &live.patterns.saga.runs;
        let still_there: Option<Vec<&SagaView>> = kept
            .1
            .iter()
            .map(|id| runs.iter().find(|r| r.run == *id && r.ended_us.is_some()))
            .collect();
        match still_there {
            Some(listed)
                if now_ms - kept.0 < FINISHED_DWELL_MS && listed.len() == finished_wanted =>
            {
                listed
            }
            _ => {
                let fresh = newest_finished(runs, finished_wanted);
                *kept = (now_ms, fresh.iter().map(|r| r.run).collect());
                fresh
            }
        }
    };
    let finished = chosen;
    let runs: Vec<&SagaView> = running.into_iter().chain(finished).collect();
    let run_html = runs.iter().map(|run| {
        html! {
            <SagaRun key={run.run} scenario={Shared(std::sync::Arc::clone(scenario))} lang={lang}
                     run={(*run).clone()} now_us={if run.ended_us.is_some() { 0 } else { now }}
                     on_action={props.on_action.clone()} />
        }
    });
    html! {
        <section class="saga-panel" aria-labelledby="saga-panel-title" data-testid="saga-panel">
            <h3 id="saga-panel-title">{ tr(lang, Msg::Sagas) }</h3>
            { for totals }
            <p class="hint">{ tr(lang, Msg::SagaHint) }</p>
            if runs.is_empty() {
                <p class="hint">{ tr(lang, Msg::SagaNone) }</p>
            } else {
                <ol class="saga-runs">{ for run_html }</ol>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct SagaRunProps {
    scenario: Shared<crate::engine::Scenario>,
    lang: crate::app::i18n::Lang,
    run: SagaView,
    /// Where a running run's open bars end; 0 once it finished (so it is drawn once).
    now_us: u64,
    on_action: Callback<Action>,
}

/// One saga run: its steps as lanes with action and compensation bars, and its outcome.
#[component]
fn SagaRun(props: &SagaRunProps) -> Html {
    let lang = props.lang;
    let scenario = &props.scenario.0;
    let run = &props.run;
    let now = props.now_us;

    let spec = &scenario.sagas()[run.saga.index()];
    let start = run.started_us;
    let end = run.ended_us.unwrap_or(now).max(start + 1);
    let total = end - start;
    let (outcome, icon, class) = match run.phase {
        SagaPhase::Completed => (Msg::SagaCompleted, "✓", "completed"),
        SagaPhase::Compensated => (Msg::SagaCompensated, "↩", "compensated"),
        SagaPhase::Running => (Msg::SagaRunning, "…", "running"),
        SagaPhase::Compensating => (Msg::SagaCompensating, "↩…", "compensating"),
    };
    let request = run.request;
    let on_open = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::SelectTrace(Some(request))))
    };
    let lanes = spec.steps.iter().zip(&run.steps).enumerate().map(|(index, (step, record))| {
            let action = record.action_started_us.map(|from| {
                let to = record.action_ended_us.unwrap_or(now);
                let ok = record.action_status.is_some_and(|s| s.is_ok());
                let failed = record.action_status.is_some_and(|s| !s.is_ok());
                let title = format!(
                    "{} · {} · {}{}",
                    tr(lang, Msg::SagaAction),
                    record.action_status.map_or(tr(lang, Msg::SagaRunning), |s| status_text(lang, s)),
                    format_ms(to.saturating_sub(from)),
                    tr(lang, Msg::Milliseconds)
                );
                html! {
                    <span class={classes!("saga-bar", "action", ok.then_some("ok"), failed.then_some("failed"))}
                          style={format!("left:{:.2}%;width:max({:.2}%,3px)", share(from, start, total), share(to, start, total) - share(from, start, total))}
                          title={title}></span>
                }
            });
            let compensation = record.compensation_started_us.map(|from| {
                let to = record.compensation_ended_us.unwrap_or(now);
                html! {
                    <span class="saga-bar compensation"
                          style={format!("left:{:.2}%;width:max({:.2}%,3px)", share(from, start, total), share(to, start, total) - share(from, start, total))}
                          title={format!("{} · {}", tr(lang, Msg::SagaUndo), fill(lang, Msg::SagaAttempts, &[&record.compensation_attempts.to_string()]))}></span>
                }
            });
            // In words too: what happened to this step.
            let words = match (record.action_status, record.compensation_status) {
                (_, Some(s)) if s.is_ok() => format!("✓ → ↩ {}", tr(lang, Msg::SagaUndo)),
                (_, Some(_)) | (_, None) if record.compensation_started_us.is_some() => format!("↩ {}…", tr(lang, Msg::SagaUndo)),
                (Some(s), _) if s.is_ok() => "✓".to_string(),
                (Some(s), _) => format!("✗ {}", status_text(lang, s)),
                (None, _) if record.action_started_us.is_some() => "…".to_string(),
                (None, _) => "·".to_string(),
            };
            html! {
                <li class="saga-lane" key={index}>
                    <span class="saga-step-name">
                        { step.name.clone() }
                        if index == spec.pivot { { " " }<em class="pivot">{ tr(lang, Msg::SagaPivot) }</em> }
                    </span>
                    <span class="saga-track">{ for action }{ for compensation }</span>
                    <span class="saga-step-words">{ words }</span>
                </li>
            }
        });
    html! {
        <li class={classes!("saga-run", class)} data-testid="saga-run">
            <div class="saga-run-head">
                <span>{ fill(lang, Msg::SagaRunTitle, &[&run.run.to_string(), &request.0.to_string()]) }</span>
                <span class={classes!("saga-outcome", class)}>{ icon }{ " " }{ tr(lang, outcome) }</span>
                <button class="link" onclick={on_open}>{ tr(lang, Msg::OpenTrace) }</button>
            </div>
            if let Some(lock) = &run.lock {
                <p class="hint saga-lock">{ fill(lang, Msg::SagaLock, &[lock]) }</p>
            }
            <ol class="saga-lanes">{ for lanes }</ol>
        </li>
    }
}
