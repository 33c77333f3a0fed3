// Verdicts on labels as they are: accept (the focused label, a turn's waiting labels, or every
// waiting label on the page) and reject. Only labels the server has under review are considered.

import { toast } from "./dom.js";
import { acceptMany, decide } from "./api.js";
import { currentLabelEl, needTurn } from "./focus.js";
import { kindName, labelsUnderReview, state } from "./store.js";

function focusedLabel() {
  const labelEl = currentLabelEl();
  return labelEl && labelEl.dataset.label ? state.labels[labelEl.dataset.label] : null;
}

// a: the focused label; on a turn, every label of the turn that waits for this reviewer.
export function acceptFocused() {
  const label = focusedLabel();
  if (label) {
    decide(label.id, "accept", undefined, kindName(label.kind) + " accepted.");
    return;
  }
  const turn = needTurn();
  if (!turn) return;
  acceptMany(labelsUnderReview().filter((l) => l.turn === turn.pk && l.awaiting), "Accepted the labels of " + turn.id + ".");
}

export function rejectFocused() {
  const label = focusedLabel();
  if (!label) {
    toast("Move to a label first (l / h), then r rejects it.", "info");
    return;
  }
  decide(label.id, "reject", undefined, kindName(label.kind) + " rejected.");
}

// A: every label on the page that waits for this reviewer.
export function acceptAll() {
  const waiting = labelsUnderReview().filter((label) => label.awaiting);
  acceptMany(waiting, "Accepted every label on the page (" + waiting.length + ").");
}
