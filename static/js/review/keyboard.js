// The key map (the page's help dialog, opened with ?, lists it) and the toolbar's buttons. Keys do
// nothing while a dialog (the picker, a form, the help) is open, in a text field, or with Ctrl, Alt or
// Meta held.

import { byId } from "./dom.js";
import { afterSaves, undo } from "./api.js";
import { editFailure, editIntent, editRephrase, flipDefect } from "./edits.js";
import { goTo, moveLabel, moveTurn } from "./focus.js";
import { editPreferences, editRewrite, openForm } from "./forms.js";
import { boundaryDown, boundaryUp, flipSuccess, splitOrMerge } from "./goals.js";
import { addSlot, deleteSlot, spanModeKey } from "./spans.js";
import { state } from "./store.js";
import { acceptAll, acceptFocused, rejectFocused } from "./verdicts.js";

const showHelp = () => byId("help").showModal();

// n: the next dialogue, once the saves asked for are done.
const next = () => afterSaves(() => byId("next-form").requestSubmit());

const COMMANDS = {
  j: () => moveTurn(1), ArrowDown: () => moveTurn(1),
  k: () => moveTurn(-1), ArrowUp: () => moveTurn(-1),
  l: () => moveLabel(1), ArrowRight: () => moveLabel(1),
  h: () => moveLabel(-1), ArrowLeft: () => moveLabel(-1),
  a: acceptFocused, A: acceptAll, r: rejectFocused, u: undo, n: next,
  i: editIntent, f: editFailure, p: editRephrase, d: flipDefect, o: flipSuccess,
  s: addSlot, x: deleteSlot, e: () => editPreferences(), w: () => editRewrite(),
  b: boundaryUp, B: boundaryDown, g: splitOrMerge,
  "?": showHelp,
};

const BUTTONS = { "accept-all": acceptAll, undo, help: showHelp };

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector("dialog[open]")) return;
  const target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  if (state.spanMode && spanModeKey(event)) return;
  if (event.key === "Enter" && target && target.dataset && target.dataset.goto) {
    goTo(target.dataset.goto);
    event.preventDefault();
    return;
  }
  const command = COMMANDS[event.key];
  if (!command) return;
  event.preventDefault();
  command();
}

function onClick(event) {
  const link = event.target.closest("[data-goto]");
  if (link) {
    event.preventDefault();
    goTo(link.dataset.goto);
    return;
  }
  const edit = event.target.closest("[data-edit]");
  if (edit) {
    openForm(edit.dataset.edit, edit.dataset.turn);
    return;
  }
  const button = event.target.closest("[data-command]");
  const command = button && BUTTONS[button.dataset.command];
  if (command) command();
}

export function listen() {
  document.addEventListener("keydown", onKey);
  document.addEventListener("click", onClick);
}
