// The small forms for values no list can offer: a turn's preferences (a row per preference: domain,
// key, value and polarity; rows added and removed) and its rewrite (a text field, empty for none).
// Each opens in its dialog on the page (e and w, or a turn's buttons), saves through the review API
// and gives the focus back where it was.

import { setValue } from "./api.js";
import { byId, el, toast } from "./dom.js";
import { needTurn } from "./focus.js";
import { shownValue } from "./labels.js";
import { polarityOf, preferenceText } from "./prefs.js";
import { labelOf, state, targetName } from "./store.js";

const POLARITIES = ["like", "dislike"];
const FIELDS = ["domain", "key", "value"];

// Show a form's dialog; resolves true when the reviewer saves, false when they cancel (Esc too).
// `check` may refuse a save: it returns a message to show, and the dialog stays open.
function ask(dialog, first, check) {
  return new Promise((resolve) => {
    const returnTo = document.activeElement;
    const form = dialog.querySelector("form");
    const problem = dialog.querySelector(".label-form__problem");
    const cancel = dialog.querySelector("[data-cancel]");
    problem.textContent = "";
    function onSubmit(event) {
      const message = check ? check() : "";
      if (message) {
        event.preventDefault();
        problem.textContent = message;
      }
    }
    const onCancel = () => dialog.close("cancel");
    function onClose() {
      form.removeEventListener("submit", onSubmit);
      cancel.removeEventListener("click", onCancel);
      if (returnTo && returnTo.focus) returnTo.focus({ preventScroll: true });
      resolve(dialog.returnValue === "save");
    }
    form.addEventListener("submit", onSubmit);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("close", onClose, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    if (first) first.focus();
  });
}

// --- preferences ---------------------------------------------------------------------------------

function preferenceRow(preference) {
  const cell = (child) => el("td", {}, [child]);
  const input = (name) => el("input", {
    type: "text", name, value: preference[name] === undefined ? "" : String(preference[name]),
    "aria-label": name, autocomplete: "off", spellcheck: "false",
  });
  const polarity = el("select", { name: "polarity", "aria-label": "polarity" }, POLARITIES.map((p) => el("option", { value: p, text: p })));
  polarity.value = polarityOf(preference);
  const remove = el("button", { type: "button", className: "button button--quiet", text: "remove", "aria-label": "remove this preference" });
  const row = el("tr", { className: "pref-row" }, FIELDS.map((name) => cell(input(name))).concat([cell(polarity), cell(remove)]));
  row.original = preference; // its span and any key the form does not show are kept
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    (next ? next.querySelector("input") : byId("preferences-add")).focus();
  });
  return row;
}

const fieldOf = (row, name) => row.querySelector('[name="' + name + '"]').value.trim();
const isBlank = (row) => FIELDS.every((name) => !fieldOf(row, name));

// A row as a preference: the original's keys, its span only while the value is the one it marks.
function rowValue(row) {
  const item = Object.assign({}, row.original);
  const value = fieldOf(row, "value");
  if (item.value !== value) {
    delete item.start;
    delete item.end;
  }
  return Object.assign(item, { domain: fieldOf(row, "domain"), key: fieldOf(row, "key"), value, polarity: fieldOf(row, "polarity") });
}

export function editPreferences(given) {
  const turn = given || needTurn();
  if (!turn) return;
  const rows = byId("preferences-rows");
  const current = shownValue(turn.pk, "preferences", []);
  rows.replaceChildren(...(Array.isArray(current) ? current : []).filter((p) => p && typeof p === "object").map(preferenceRow));
  if (!rows.children.length) rows.append(preferenceRow({}));
  byId("preferences-form-title").textContent = targetName("preferences", turn);
  byId("preferences-form-heard").textContent = turn.utterance || "(nothing heard)";
  const add = byId("preferences-add");
  const onAdd = () => {
    const row = preferenceRow({});
    rows.append(row);
    row.querySelector("input").focus();
  };
  add.addEventListener("click", onAdd);
  const filled = () => Array.from(rows.children).filter((row) => !isBlank(row));
  function check() {
    const partial = filled().find((row) => FIELDS.some((name) => !fieldOf(row, name)));
    if (!partial) return "";
    const empty = FIELDS.find((name) => !fieldOf(partial, name));
    partial.querySelector('[name="' + empty + '"]').focus();
    return "Each preference needs a domain, a key and a value (a row left empty is dropped).";
  }
  ask(byId("preferences-form"), rows.querySelector("input"), check).then((saved) => {
    add.removeEventListener("click", onAdd);
    if (!saved) return;
    const value = filled().map(rowValue);
    if (!value.length && !labelOf(turn.pk, "preferences")) {
      toast("Nothing to save: " + turn.id + " states no preference.", "info");
      return;
    }
    const said = value.length ? value.map(preferenceText).join("; ") : "none";
    setValue("preferences", turn, value, targetName("preferences", turn) + ": " + said + ".");
  });
}

// --- the rewrite -----------------------------------------------------------------------------------

export function editRewrite(given) {
  const turn = given || needTurn();
  if (!turn) return;
  const input = byId("rewrite-text");
  const current = shownValue(turn.pk, "rewrite", null);
  input.value = typeof current === "string" ? current : "";
  byId("rewrite-form-title").textContent = targetName("rewrite", turn);
  byId("rewrite-form-heard").textContent = turn.utterance || "(nothing heard)";
  ask(byId("rewrite-form"), input, null).then((saved) => {
    if (!saved) return;
    const value = input.value.trim() || null;
    if (value === null && !labelOf(turn.pk, "rewrite")) {
      toast("Nothing to save: " + turn.id + " has no rewrite.", "info");
      return;
    }
    setValue("rewrite", turn, value, targetName("rewrite", turn) + (value ? ": “" + value + "”." : ": none."));
  });
}

const FORMS = { preferences: editPreferences, rewrite: editRewrite };

// A turn's button for a kind's form (data-edit: the kind, data-turn: the turn's pk).
export function openForm(kind, turnPk) {
  const form = FORMS[kind];
  const turn = state.turnByPk[turnPk];
  if (form && turn) form(turn);
}
