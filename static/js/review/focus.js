// Where the reviewer is: the focused turn and label, moving between them (j/k, l/h), and keeping the
// focus on the same turn or label when the page is drawn again.

import { byId, focusOn, toast } from "./dom.js";
import { state } from "./store.js";

const root = () => byId("review-conversation");

// What has the focus, by data attributes that survive a redraw (or null when it is outside).
export function focusKey() {
  const active = document.activeElement;
  if (!active || !root().contains(active)) return null;
  const labelEl = active.closest("[data-label], [data-kind]");
  const turnEl = active.closest(".turn");
  return {
    label: labelEl && labelEl.dataset.label, kind: labelEl && labelEl.dataset.kind,
    turn: turnEl && turnEl.dataset.turn, span: active.dataset ? active.dataset.span : undefined,
  };
}

export function restoreFocus(key) {
  if (!key) return;
  const turnEl = key.turn ? turnElement(key.turn) : null;
  let target = key.label ? root().querySelector('[data-label="' + key.label + '"]') : null;
  if (!target && key.kind && turnEl) target = turnEl.querySelector('[data-kind="' + key.kind + '"]');
  if (!target) target = turnEl;
  if (target) focusOn(target);
}

export function turnElement(turnPk) {
  return root().querySelector('.turn[data-turn="' + turnPk + '"]');
}

// The turn with the focus (in a goal band's header: the goal's first turn), or null.
export function currentTurn() {
  const active = document.activeElement;
  const turnEl = active && active.closest ? active.closest(".turn") : null;
  if (turnEl) return state.turnByPk[turnEl.dataset.turn];
  const band = active && active.closest ? active.closest(".goal-band") : null;
  const first = band && band.querySelector(".turn");
  return first ? state.turnByPk[first.dataset.turn] : null;
}

// The current turn, or null with a hint to move to one.
export function needTurn() {
  const turn = currentTurn();
  if (!turn) toast("Move to a turn first (j / k).", "info");
  return turn;
}

export function currentLabelEl() {
  const active = document.activeElement;
  return active && active.closest ? active.closest("[data-label], .review-label--missing") : null;
}

export function moveTurn(step) {
  const turnEls = Array.from(root().querySelectorAll(".turn"));
  if (!turnEls.length) return;
  const turn = currentTurn();
  let index = turn ? turn.index + step : (step > 0 ? 0 : turnEls.length - 1);
  index = Math.max(0, Math.min(turnEls.length - 1, index));
  focusOn(turnEls[index]);
}

export function moveLabel(step) {
  const turn = currentTurn();
  const scope = turn ? turnElement(turn.pk) : root();
  let items = Array.from(scope.querySelectorAll(".review-label"));
  if (turn) {
    // The goal's success label sits in the band header: it belongs to the goal's first turn.
    const band = scope.closest(".goal-band");
    if (band && band.querySelector(".turn") === scope) {
      items = Array.from(band.querySelectorAll(".goal-band__header .review-label")).concat(items);
    }
  }
  if (!items.length) return;
  let index = items.indexOf(currentLabelEl());
  index = index === -1 ? (step > 0 ? 0 : items.length - 1) : index + step;
  if (index < 0 || index >= items.length) {
    if (turn) focusOn(scope);
    return;
  }
  focusOn(items[index]);
}

export function goTo(turnId) {
  const turn = state.turnById[turnId];
  const node = turn ? turnElement(turn.pk) : null;
  if (node) focusOn(node);
}
