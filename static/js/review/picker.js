// The picker: a searchable list in the page's modal dialog (#picker). `pick` resolves with the option
// chosen, or null when the reviewer cancels; focus goes back where it was.

import { byId, el } from "./dom.js";

// options: [{ label, value, hint? }]; allowFree: typed text that matches no option can be used as is.
export function pick(title, options, allowFree) {
  return new Promise((resolve) => {
    const picker = byId("picker");
    const search = byId("picker-search");
    const list = byId("picker-list");
    const returnTo = document.activeElement;
    let active = 0;
    let visible = [];
    byId("picker-title").textContent = title;
    search.value = "";

    function draw() {
      const query = search.value.trim().toLowerCase();
      visible = options.filter((option) => !query || option.label.toLowerCase().indexOf(query) !== -1);
      if (allowFree && query && !options.some((option) => option.label.toLowerCase() === query)) {
        visible.push({ label: "Use “" + search.value.trim() + "”", value: search.value.trim() });
      }
      active = Math.min(active, Math.max(0, visible.length - 1));
      list.replaceChildren(...visible.map((option, index) => {
        const item = el("li", {
          role: "option", id: "picker-option-" + index, "aria-selected": index === active ? "true" : "false",
          className: index === active ? "is-active" : "",
        }, [option.label, option.hint ? el("span", { className: "muted small", text: " " + option.hint }) : null]);
        item.addEventListener("mousedown", (event) => { event.preventDefault(); finish(option); });
        return item;
      }));
      search.setAttribute("aria-activedescendant", visible.length ? "picker-option-" + active : "");
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
      active = 0;
      draw();
    }
    function onKey(event) {
      if (event.key === "ArrowDown") { active = Math.min(visible.length - 1, active + 1); draw(); event.preventDefault(); }
      else if (event.key === "ArrowUp") { active = Math.max(0, active - 1); draw(); event.preventDefault(); }
      else if (event.key === "Enter") { event.preventDefault(); if (visible.length) finish(visible[active]); }
    }
    function onCancel(event) {
      event.preventDefault();
      finish(null);
    }
    search.addEventListener("input", onInput);
    search.addEventListener("keydown", onKey);
    picker.addEventListener("cancel", onCancel);
    draw();
    picker.showModal();
    search.focus();
  });
}
