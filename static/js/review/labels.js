// What a label shows: its value (or, while several reviews are required and it is unsettled, the
// reviewer's own verdict), each kind's value drawn, what the assistant did where it differs, and the
// goals of the segmentation under review.

import { el } from "./dom.js";
import { preferenceChip } from "./prefs.js";
import { canonicalSpans, slotChip } from "./slots.js";
import { labelOf } from "./store.js";

// { value, status, yours, rejected } of a label, or null for none.
export function shown(label) {
  if (!label) return null;
  if (label.mine && label.required > 1 && !label.settled) {
    const rejected = label.mine.decision === "reject";
    const status = rejected ? "rejected" : (label.mine.decision === "correct" ? "corrected" : "accepted");
    return { value: rejected ? null : label.mine.value, status, yours: true, rejected };
  }
  return { value: label.value, status: label.status, yours: false, rejected: label.status === "rejected" };
}

// The value shown of a target's label under review, or `fallback` where it is missing or rejected.
export function shownValue(turnPk, kind, fallback) {
  const view = shown(labelOf(turnPk, kind));
  return view && !view.rejected ? view.value : fallback;
}

// The goals as lists of turn ids (copies: callers change them to propose new goals).
export function segments() {
  const value = shownValue(null, "goal_segments", null);
  if (!Array.isArray(value)) return [];
  return value.map((goal) => (goal && Array.isArray(goal.turns)) ? goal.turns.slice() : []);
}

export function goalIndexOf(turnId, goals) {
  return goals.findIndex((goal) => goal.indexOf(turnId) !== -1);
}

export function percent(value) {
  return value === null || value === undefined ? "—" : Math.round(value * 100) + "%";
}

export function statusBadge(view, label) {
  let text = view.status + (view.yours ? " by you" : "");
  if (label.required > 1 && !label.settled) text += " · " + label.reviews + "/" + label.required + " reviews";
  return el("span", { className: "badge badge--" + view.status, text });
}

const muted = (text) => el("span", { className: "muted", text });
const yesNo = (yes, whenTrue, whenFalse) => yes
  ? el("span", { className: "badge badge--" + whenTrue[0], text: whenTrue[1] })
  : el("span", { className: "badge badge--" + whenFalse[0], text: whenFalse[1] });

export function valueView(kind, value, turn) {
  switch (kind) {
    case "intent":
      return value ? el("code", { text: value }) : muted("not for the assistant");
    case "slots":
      if (!Array.isArray(value) || !value.length) return muted("no slots");
      return el("span", { className: "slot-list" }, value.map((span) => slotChip(span, turn && turn.utterance)));
    case "failure_point":
      return el("span", { className: "badge badge--fp-" + value, text: value || "—" });
    case "rephrase_of":
      if (!value) return muted("not a rephrase");
      return el("span", {}, ["rephrases ", el("a", { href: "#turn-" + value, "data-goto": value, text: value })]);
    case "defect":
      return yesNo(value, ["failure", "defect"], ["success", "no defect"]);
    case "preferences":
      if (!Array.isArray(value) || !value.length) return muted("none stated");
      return el("span", { className: "pref-list" }, value.filter((p) => p && typeof p === "object").map((p) => preferenceChip(p, turn && turn.utterance)));
    case "rewrite":
      return value ? el("q", { className: "rewrite-text", text: value }) : muted("no rewrite");
    case "goal_success":
      return yesNo(value, ["success", "✓ achieved"], ["failure", "✗ not achieved"]);
    default:
      return el("code", { text: JSON.stringify(value) });
  }
}

// Where the label differs from what the assistant did at the time, both are shown.
export function assistantDiff(kind, value, turn) {
  if (kind === "intent" && turn.intent && turn.intent !== value) {
    return el("span", { className: "assistant-did" }, ["assistant: ", el("code", { text: turn.intent })]);
  }
  if (kind === "slots" && Array.isArray(turn.slots) &&
      JSON.stringify(canonicalSpans(turn.slots)) !== JSON.stringify(canonicalSpans(value))) {
    const did = turn.slots.length ? turn.slots.map((span) => slotChip(span, turn.utterance)) : [muted("none")];
    return el("span", { className: "assistant-did" }, ["assistant: "].concat(did));
  }
  return null;
}
