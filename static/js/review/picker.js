// The picker: a searchable list in the page's modal dialog (#picker). `pick` resolves with the option
// chosen, or null when the reviewer cancels; focus goes back where it was.

import { byId, el } from "./dom.js";

// options: [{ label, value, hint? }]; allowFree: typed text that matches no option can be used as is,
// but only as an explicit choice: the "New: …" row is never preselected, so Enter on a typo picks
// nothing instead of silently creating a new class (↓ then Enter, or a click, creates it).
export function pick(title, options, allowFree) {
  return new Promise((resolve) => {
    const picker = byId("picker");
    const search = byId("picker-search");
    const list = byId("picker-list");
    const returnTo = document.activeElement;
    let active = 0; // -1: nothing chosen yet (only the "New: …" row is left)
    let visible = [];
    byId("picker-title").textContent = title;
    search.value = "";

    // fresh: the search changed, so the choice starts over: the first match, or none at all.
    function draw(fresh) {
      const query = search.value.trim().toLowerCase();
      visible = options.filter((option) => !query || option.label.toLowerCase().indexOf(query) !== -1);
      const matches = visible.length;
      if (allowFree && query && !options.some((option) => option.label.toLowerCase() === query)) {
        visible.push({ label: "New: “" + search.value.trim() + "”", value: search.value.trim(), hint: "creates a new class", isNew: true });
      }
      if (fresh) active = matches ? 0 : -1;
      active = Math.max(matches ? 0 : -1, Math.min(active, visible.length - 1));
      list.replaceChildren(...visible.map((option, index) => {
        const item = el("li", {
          role: "option", id: "picker-option-" + index, "aria-selected": index === active ? "true" : "false",
          className: (index === active ? "is-active" : "") + (option.isNew ? " picker__new" : ""),
        }, [option.label, option.hint ? el("span", { className: "muted small", text: " " + option.hint }) : null]);
        item.addEventListener("mousedown", (event) => { event.preventDefault(); finish(option); });
        return item;
      }));
      search.setAttribute("aria-activedescendant", active >= 0 ? "picker-option-" + active : "");
      byId("picker-nomatch").hidden = !(active === -1 && visible.length);
      const current = list.children[active];
      if (current) current.scrollIntoView({ block: "nearest" });
    }
    function finish(option) {
      search.removeEventListener("input", onInput);
      search.removeEventListener("keydown", onKey);
      picker.removeEventListener("cancel", onCancel);
      picker.close();
      if (returnTo && returnTo.focus) returnTo.focus({ preventScroll: true });
      resolve(option);
    }
    function onInput() {
      draw(true);
    }
    function onKey(event) {
      if (event.key === "ArrowDown") { active = Math.min(visible.length - 1, active + 1); draw(); event.preventDefault(); }
      else if (event.key === "ArrowUp") { active = Math.max(0, active - 1); draw(); event.preventDefault(); }
      else if (event.key === "Enter") { event.preventDefault(); if (active >= 0 && visible[active]) finish(visible[active]); }
      // A search field's own Esc clears its text and keeps the dialog open: one Esc cancels here.
      else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); finish(null); }
    }
    function onCancel(event) {
      event.preventDefault();
      finish(null);
    }
    search.addEventListener("input", onInput);
    search.addEventListener("keydown", onKey);
    picker.addEventListener("cancel", onCancel);
    draw(true);
    picker.showModal();
    search.focus();
  });
}
