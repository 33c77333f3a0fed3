// Slot spans: s adds one from the selected text or, without a selection, from words chosen with the
// arrow keys (span mode); its type is picked from the inventory. x deletes the focused or selected span.

import { byId, focusOn, toast } from "./dom.js";
import { setValue } from "./api.js";
import { needTurn, turnElement } from "./focus.js";
import { shownValue } from "./labels.js";
import { pick } from "./picker.js";
import { render } from "./render.js";
import { state } from "./store.js";

function utteranceEl(turn) {
  return byId("review-conversation").querySelector('[data-utterance="' + turn.pk + '"]');
}

// Character offsets of the current text selection inside a turn's utterance (type tags excluded).
function selectionIn(turn) {
  const selection = window.getSelection();
  const container = utteranceEl(turn);
  if (!selection || !selection.rangeCount || selection.isCollapsed || !container) return null;
  const range = selection.getRangeAt(0);
  if (!container.contains(range.startContainer) || !container.contains(range.endContainer)) return null;
  function offset(node, at) {
    const before = document.createRange();
    before.setStart(container, 0);
    before.setEnd(node, at);
    const fragment = before.cloneContents();
    for (const tag of fragment.querySelectorAll("[data-skip]")) tag.remove();
    return fragment.textContent.length;
  }
  let start = offset(range.startContainer, range.startOffset);
  let end = offset(range.endContainer, range.endOffset);
  while (start < end && /\s/.test(turn.utterance[start])) start++;
  while (end > start && /\s/.test(turn.utterance[end - 1])) end--;
  return start < end ? { start, end } : null;
}

function turnOfSelection() {
  const selection = window.getSelection();
  if (!selection || !selection.rangeCount || selection.isCollapsed) return null;
  const node = selection.anchorNode;
  const holder = node && (node.nodeType === 1 ? node : node.parentElement);
  const utterance = holder && holder.closest("[data-utterance]");
  return utterance ? state.turnByPk[utterance.dataset.utterance] : null;
}

function spansOf(turn) {
  const value = shownValue(turn.pk, "slots", []);
  return Array.isArray(value) ? value.slice() : [];
}

export function addSlot() {
  const turn = turnOfSelection() || needTurn();
  if (!turn) return;
  const span = selectionIn(turn);
  if (span) {
    chooseSlotType(turn, span);
    return;
  }
  const words = [];
  turn.utterance.replace(/\S+/g, (word, start) => { words.push({ start, end: start + word.length }); return word; });
  if (!words.length) {
    toast(turn.id + " has no words to label.", "info");
    return;
  }
  state.spanMode = { turn: turn.pk, words, from: 0, to: 0 };
  render();
  focusOn(turnElement(turn.pk));
}

// A key while choosing words: true when it was span mode's (← → move, Shift widens, Enter, Esc).
export function spanModeKey(event) {
  const mode = state.spanMode;
  const last = mode.words.length - 1;
  if (event.key === "Escape") {
    state.spanMode = null;
    render();
  } else if (event.key === "ArrowRight" || event.key === "l") {
    if (event.shiftKey) mode.to = Math.min(last, mode.to + 1);
    else { mode.from = Math.min(last, mode.to + 1); mode.to = mode.from; }
    render();
  } else if (event.key === "ArrowLeft" || event.key === "h") {
    if (event.shiftKey) mode.to = Math.max(mode.from, mode.to - 1);
    else { mode.from = Math.max(0, mode.from - 1); mode.to = mode.from; }
    render();
  } else if (event.key === "Enter") {
    const turn = state.turnByPk[mode.turn];
    const span = { start: mode.words[mode.from].start, end: mode.words[mode.to].end };
    state.spanMode = null;
    render();
    chooseSlotType(turn, span);
  } else {
    return false;
  }
  event.preventDefault();
  return true;
}

function chooseSlotType(turn, span) {
  const text = turn.utterance.slice(span.start, span.end);
  const options = state.data.inventory.slot_types.map((name) => ({ label: name, value: name }));
  pick("Slot type of “" + text + "”", options, true).then((option) => {
    if (!option) return;
    const spans = spansOf(turn);
    const overlapping = spans.filter((s) => s.start < span.end && span.start < s.end);
    if (overlapping.length) {
      toast("“" + text + "” overlaps the " + overlapping[0].type + " span: delete that one first (x).", "error");
      return;
    }
    spans.push({ start: span.start, end: span.end, type: option.value });
    spans.sort((a, b) => a.start - b.start);
    window.getSelection().removeAllRanges();
    setValue("slots", turn, spans, "Added " + option.value + " “" + text + "” to " + turn.id + ".");
  });
}

export function deleteSlot() {
  const turn = turnOfSelection() || needTurn();
  if (!turn) return;
  const spans = spansOf(turn);
  let index = -1;
  const active = document.activeElement;
  if (active && active.dataset && active.dataset.span !== undefined) index = Number(active.dataset.span);
  const selected = selectionIn(turn);
  if (index === -1 && selected) index = spans.findIndex((s) => s.start < selected.end && selected.start < s.end);
  if (index === -1 && spans.length === 1) index = 0;
  if (index === -1) {
    toast(spans.length ? "Focus a span (Tab) or select its text, then x deletes it." : turn.id + " has no slot spans.", "info");
    return;
  }
  const removed = spans.splice(index, 1)[0];
  setValue("slots", turn, spans, "Deleted the " + removed.type + " span of " + turn.id + ".");
}
