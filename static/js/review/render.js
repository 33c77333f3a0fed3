// Draws the whole conversation from the state: the goal segmentation, a band per goal with its
// success label, each turn with what was said and decided and its labels; and the status line.
// Labels are named by the server's kind names and are the ones the server says are under review.

import { byId, el } from "./dom.js";
import { focusKey, restoreFocus } from "./focus.js";
import { assistantDiff, goalIndexOf, percent, segments, shown, shownValue, statusBadge, valueView } from "./labels.js";
import { highlight } from "./slots.js";
import { isOptional, kindName, labelOf, state, turnKinds } from "./store.js";

function labelMeta(view, label) {
  return el("span", { className: "review-label__meta" }, [
    statusBadge(view, label),
    el("span", { className: "conf" + (label.low ? " conf--low" : ""), title: "confidence", text: percent(label.confidence) }),
    el("span", { className: "source source--" + label.source, text: label.source_name }),
  ]);
}

// What a model's label rests on ("the assistant read `qa_maths`; the words read like
// `datetime_query`"), each item marked by the failure point it speaks for.
function evidenceList(label) {
  if (!label.evidence || !label.evidence.length) return null;
  return el("ul", { className: "review-label__evidence", "aria-label": "Evidence" },
    label.evidence.map((item) => el("li", {
      className: "evidence evidence--" + (item.points_to === "none" ? "fine" : "failure"),
      "data-evidence": item.kind,
      text: item.says,
    })));
}

function labelClasses(view, label) {
  return ["review-label", "review-label--" + view.status]
    .concat(label.awaiting ? ["is-awaiting"] : [], label.low ? ["is-low"] : []).join(" ");
}

function labelItem(kind, turn) {
  const label = labelOf(turn ? turn.pk : null, kind);
  if (!label) {
    return el("li", { className: "review-label review-label--missing", tabindex: "-1", "data-kind": kind, "data-turn": turn ? String(turn.pk) : null }, [
      el("span", { className: "review-label__kind", text: kindName(kind) }),
      el("span", { className: "muted", text: "no label" }),
    ]);
  }
  const view = shown(label);
  const value = view.rejected ? el("s", {}, [valueView(kind, label.value, turn)]) : valueView(kind, view.value, turn);
  return el("li", { className: labelClasses(view, label), tabindex: "-1", "data-label": String(label.id), "data-kind": kind }, [
    el("span", { className: "review-label__kind" }, [
      kindName(kind), label.awaiting ? el("span", { className: "visually-hidden", text: " (waits for your verdict)" }) : null,
    ]),
    el("span", { className: "review-label__value" }, [value, turn && !view.rejected ? assistantDiff(kind, view.value, turn) : null]),
    labelMeta(view, label),
    evidenceList(label),
  ]);
}

function utteranceOf(turn) {
  const utterance = el("span", { className: "utterance", "data-utterance": String(turn.pk) });
  const mode = state.spanMode;
  if (mode && mode.turn === turn.pk) {
    const start = mode.words[mode.from].start;
    const end = mode.words[mode.to].end;
    utterance.append(turn.utterance.slice(0, start), el("mark", { className: "span-pick", text: turn.utterance.slice(start, end) }), turn.utterance.slice(end));
  } else if (turn.utterance) {
    highlight(turn.utterance, shownValue(turn.pk, "slots", []), true).forEach((part) => {
      utterance.append(part);
    });
  } else {
    utterance.append(el("span", { className: "muted", text: "(nothing heard)" }));
  }
  return utterance;
}

function turnItem(turn) {
  const meta = el("div", { className: "turn__meta" }, [
    el("span", { className: "turn-id", text: turn.id }),
    turn.asr_confidence !== null ? el("span", { className: "metric", title: "ASR confidence", text: "ASR " + turn.asr_confidence.toFixed(2) }) : null,
    turn.nlu_confidence !== null ? el("span", { className: "metric", title: "NLU confidence", text: "NLU " + turn.nlu_confidence.toFixed(2) }) : null,
    turn.barge_in ? el("span", { className: "badge badge--bargein", text: "barge-in" }) : null,
    turn.feedback ? el("span", { className: "badge badge--" + (turn.feedback === "positive" ? "success" : "failure"), text: turn.feedback + " feedback" }) : null,
  ]);
  const decisionItem = (key, value) => el("span", { className: "decision__item" }, [el("span", { className: "decision__key", text: key }), " " + value]);
  const decision = (turn.domain || turn.intent || turn.status) ? el("div", { className: "decision", "aria-label": "What the assistant decided" }, [
    turn.domain ? decisionItem("domain", turn.domain) : null,
    turn.intent ? decisionItem("intent", turn.intent) : null,
    turn.status ? el("span", { className: "badge", text: turn.status }) : null,
  ]) : null;
  const picking = state.spanMode && state.spanMode.turn === turn.pk;
  const talk = el("div", { className: "turn__talk" }, [
    meta,
    el("div", { className: "bubble bubble--person" }, [el("span", { className: "visually-hidden", text: "Person said: " }), utteranceOf(turn)]),
    picking ? el("p", { className: "span-hint", text: "Choose the words: ← → move, Shift+← → narrow or widen, Enter picks the type, Esc cancels." }) : null,
    decision,
    turn.response ? el("div", { className: "bubble bubble--assistant" }, [el("span", { className: "visually-hidden", text: "Assistant answered: " }), turn.response]) : null,
  ]);
  // An optional kind is listed only where the turn has a label of it; a button adds or corrects it.
  const listed = turnKinds().filter((kind) => !isOptional(kind) || labelOf(turn.pk, kind));
  const list = el("ul", { className: "review-labels", "aria-label": "Labels of turn " + turn.id }, listed.map((kind) => labelItem(kind, turn)));
  const buttons = turnKinds().filter(isOptional).map((kind) => formButton(kind, turn));
  return el("li", { className: "turn", id: "turn-" + turn.id, tabindex: "-1", "data-turn": String(turn.pk) }, [
    talk, el("div", { className: "turn__labels" }, [list, buttons.length ? el("div", { className: "review-forms" }, buttons) : null]),
  ]);
}

function formButton(kind, turn) {
  const has = Boolean(labelOf(turn.pk, kind));
  const name = kindName(kind);
  return el("button", {
    type: "button", className: "button button--quiet button--small", "data-edit": kind, "data-turn": String(turn.pk),
    "aria-label": (has ? "Correct " : "Add ") + name.toLowerCase() + " of " + turn.id, text: (has ? "✎ " : "+ ") + name,
  });
}

function segmentationItem(goals) {
  const label = labelOf(null, "goal_segments");
  if (!label) return null;
  const view = shown(label);
  const ranges = goals.map((g) => g.length > 1 ? g[0] + "–" + g[g.length - 1] : (g[0] || "?")).join(", ");
  const summary = goals.length + (goals.length === 1 ? " goal" : " goals") + (goals.length ? ": " + ranges : "");
  return el("ul", { className: "review-labels review-labels--dialogue", "aria-label": "Goal segmentation" }, [
    el("li", { className: labelClasses(view, label), tabindex: "-1", "data-label": String(label.id), "data-kind": "goal_segments" }, [
      el("span", { className: "review-label__kind", text: kindName("goal_segments") }),
      el("span", { className: "review-label__value", text: summary }),
      labelMeta(view, label),
    ]),
  ]);
}

// Consecutive turns of one goal (or of none: goal -1) form a band.
function bandsOf(goals) {
  const bands = [];
  state.turns.forEach((turn) => {
    const goal = goalIndexOf(turn.id, goals);
    if (!bands.length || bands[bands.length - 1].goal !== goal) bands.push({ goal, turns: [] });
    bands[bands.length - 1].turns.push(turn);
  });
  return bands;
}

function bandItem(band, goals) {
  const number = band.goal + 1;
  const inGoal = band.goal >= 0;
  const header = el("header", { className: "goal-band__header" }, [
    el("h2", { className: "goal-band__title", text: inGoal ? "Goal " + number : (goals.length ? "Not part of any goal" : "Turns (no goal segmentation)") }),
  ]);
  if (inGoal) {
    const success = labelItem("goal_success", band.turns[0]);
    success.classList.add("review-label--success");
    header.append(el("ul", { className: "review-labels review-labels--inline", "aria-label": "Success of goal " + number }, [success]));
  }
  return el("section", { className: "goal-band " + (inGoal ? "goal-band--goal" : "goal-band--none"), "aria-label": inGoal ? "Goal " + number : "Turns in no goal" }, [
    header, el("ol", { className: "turns" }, band.turns.map(turnItem)),
  ]);
}

export function render() {
  const focus = focusKey();
  const goals = segments();
  const root = byId("review-conversation");
  root.replaceChildren();
  const segmentation = segmentationItem(goals);
  if (segmentation) root.append(segmentation);
  root.append(...bandsOf(goals).map((band) => bandItem(band, goals)));
  renderStatus();
  restoreFocus(focus);
}

function renderStatus() {
  const progress = state.progress;
  const statusLine = byId("review-status");
  const lockLine = byId("review-lock");
  if (progress.done) statusLine.textContent = "Done: every label has your verdict. Press n for the next dialogue.";
  else statusLine.textContent = progress.awaiting_for_me + (progress.awaiting_for_me === 1 ? " label waits" : " labels wait") + " for you.";
  if (progress.required > 1) statusLine.textContent += " Reviews finished: " + progress.reviews_done + " of " + progress.required + ".";
  const lock = state.data.lock;
  if (lock.held_by && !lock.mine) {
    lockLine.hidden = false;
    lockLine.textContent = lock.held_by + " is reviewing this dialogue until " + new Date(lock.until).toLocaleTimeString() + ": your changes may conflict with theirs.";
  } else {
    lockLine.hidden = true;
  }
}
