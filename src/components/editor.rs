//! The scenario editor: edit TOML, load a file by picker or drag and drop, check and run it.
//! Every problem validation finds is listed beside the editor with its field path; an invalid
//! scenario replaces nothing.

use crate::app::editor::{line_count, problem_lines, utf16_offset};
use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::app::state::{Action, ScenarioSource};
use crate::engine::builtin::builtin_source;
use crate::engine::{MAX_SCENARIO_BYTES, Problem};
use gloo::file::callbacks::FileReader;
use std::rc::Rc;
use web_sys::{DragEvent, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Largest scenario file the editor reads (a scenario is a few kilobytes).

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub lang: Lang,
    /// What the editor opens with: the scenario running now.
    pub source: ScenarioSource,
    /// The problems of the last scenario the user tried to load.
    pub problems: Rc<Vec<Problem>>,
    pub on_action: Callback<Action>,
}

#[component]
pub fn Editor(props: &EditorProps) -> Html {
    let lang = props.lang;
    let initial = match &props.source {
        ScenarioSource::Builtin(id) => builtin_source(id).unwrap_or_default().to_string(),
        ScenarioSource::Custom(text) => text.to_string(),
    };
    let text = use_state(|| initial);
    let dragging = use_state(|| false);
    let reader = use_mut_ref(|| None::<FileReader>);
    let textarea = use_node_ref();
    {
        let textarea = textarea.clone();
        use_effect_with((), move |_| {
            if let Some(area) = textarea.cast::<web_sys::HtmlElement>() {
                let _ = area.focus();
            }
        });
    }

    let read_file = {
        let text = text.clone();
        let reader = reader.clone();
        let on_action = props.on_action.clone();
        move |file: web_sys::File| {
            // Refused before it is read, with the same limit the engine states.
            if file.size() > MAX_SCENARIO_BYTES as f64 {
                on_action.emit(Action::Notify(
                    Msg::FileTooLong,
                    vec![
                        format!("{:.0}", (file.size() / 1000.0).ceil()),
                        (MAX_SCENARIO_BYTES / 1000).to_string(),
                    ],
                ));
                return;
            }
            let file = gloo::file::File::from(file);
            let text = text.clone();
            let on_action = on_action.clone();
            let task = gloo::file::callbacks::read_as_text(&file, move |result| match result {
                Ok(content) => {
                    text.set(content.clone());
                    on_action.emit(Action::ApplyCustom(content));
                }
                Err(_) => on_action.emit(Action::Notify(Msg::FileUnreadable, Vec::new())),
            });
            *reader.borrow_mut() = Some(task);
        }
    };
    let on_input = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            let area: HtmlTextAreaElement = event.target_unchecked_into();
            text.set(area.value());
        })
    };
    let on_apply = {
        let text = text.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ApplyCustom((*text).clone())))
    };
    let on_pick = {
        let read_file = read_file.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                read_file(file);
            }
            input.set_value("");
        })
    };
    let on_drag_over = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(true);
        })
    };
    let on_drag_leave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_drop = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
            if let Some(file) = event
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|files| files.get(0))
            {
                read_file(file);
            }
        })
    };
    // Line numbers beside the text, scrolled with it; lines with a problem are marked (⚠ and
    // colour), and a problem's place jumps to its line.
    let gutter = use_node_ref();
    let on_scroll = {
        let gutter = gutter.clone();
        Callback::from(move |event: Event| {
            let area: HtmlTextAreaElement = event.target_unchecked_into();
            if let Some(gutter) = gutter.cast::<web_sys::Element>() {
                gutter.set_scroll_top(area.scroll_top());
            }
        })
    };
    let bad_lines = problem_lines(&props.problems);
    let numbers = (1..=line_count(&text)).map(|line| {
        let bad = bad_lines.contains(&(line as u32));
        html! { <span class={classes!("line-number", bad.then_some("bad"))}>{ if bad { format!("⚠ {line}") } else { line.to_string() } }{ "\n" }</span> }
    });
    let jump = |line: u32, column: u32| {
        let textarea = textarea.clone();
        let text = text.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(area) = textarea.cast::<HtmlTextAreaElement>() else {
                return;
            };
            let at = utf16_offset(&text, line, column);
            let _ = area.focus();
            let _ = area.set_selection_range(at, at);
            // Put the line a few lines from the top of the box.
            let line_height = web_sys::window()
                .and_then(|w| w.get_computed_style(&area).ok().flatten())
                .and_then(|style| style.get_property_value("line-height").ok())
                .and_then(|value| value.trim_end_matches("px").parse::<f64>().ok())
                .unwrap_or(18.0);
            area.set_scroll_top(((f64::from(line) - 4.0).max(0.0) * line_height) as i32);
        })
    };

    let on_close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleEditor))
    };
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="editor-title">
            <div class={classes!("dialog", "editor", (*dragging).then_some("dragging"))}
                 ondragover={on_drag_over} ondragleave={on_drag_leave} ondrop={on_drop}>
                <h2 id="editor-title">{ tr(lang, Msg::Editor) }</h2>
                <p class="hint">{ tr(lang, Msg::EditorHint) }</p>
                <div class="editor-body">
                    <div class="code-box">
                        <pre class="gutter" ref={gutter} aria-hidden="true" data-testid="gutter">{ for numbers }</pre>
                        <textarea ref={textarea.clone()} spellcheck="false" wrap="off" value={(*text).clone()} oninput={on_input} onscroll={on_scroll}
                                  aria-label={tr(lang, Msg::Editor)} data-testid="editor-text" />
                    </div>
                    <div class="problems" role="region" aria-label={tr(lang, Msg::Problems)} aria-live="polite" data-testid="problems">
                        if !props.problems.is_empty() {
                            <h3>{ fill(lang, Msg::ProblemsCount, &[&props.problems.len().to_string()]) }</h3>
                            <ul>
                                { for props.problems.iter().map(|problem| html! {
                                    <li>
                                        if let Some(at) = problem.at {
                                            <button class="where link" onclick={jump(at.line, at.column)} data-testid="problem-place"
                                                    title={tr(lang, Msg::JumpToLine)}>
                                                { fill(lang, Msg::ProblemAt, &[&at.line.to_string(), &at.column.to_string()]) }
                                            </button>{ " " }
                                        }
                                        <code class="path">{ problem.path.clone() }</code>{ " " }<span>{ problem.message.clone() }</span>
                                    </li>
                                }) }
                            </ul>
                        }
                    </div>
                </div>
                <p class="drop-hint">{ tr(lang, Msg::DropHere) }</p>
                <div class="dialog-actions">
                    <label class="button file-button">
                        { tr(lang, Msg::LoadFile) }
                        <input type="file" accept=".toml,text/plain" onchange={on_pick} class="visually-hidden" data-testid="file-input" />
                    </label>
                    <button class="primary" onclick={on_apply} data-testid="apply-scenario">{ tr(lang, Msg::ApplyScenario) }</button>
                    <button onclick={on_close}>{ tr(lang, Msg::Close) }</button>
                </div>
            </div>
        </div>
    }
}
