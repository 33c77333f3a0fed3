// DOM helpers every module shares: `el` builds an element from attributes and children, `byId` finds
// one of the page's fixed elements, `focusOn` moves focus without a jump, `toast` shows a message.

export function byId(id) {
  return document.getElementById(id);
}

// Attributes: `text` sets the text, `className` the class; null, undefined and false are left out. No
// style attribute: the Content-Security-Policy refuses it, so looks are classes in the stylesheets.
// Children: nodes or strings; null and undefined are skipped.
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach((key) => {
    const value = attrs[key];
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  });
  (children || []).forEach((child) => {
    if (child === null || child === undefined) return;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

export function focusOn(node) {
  node.focus({ preventScroll: true });
  node.scrollIntoView({ block: "nearest" });
}

// kind: "success", "error" or "info"; errors stay longer.
export function toast(message, kind) {
  const node = el("div", { className: "toast toast--" + (kind || "info"), text: message });
  byId("toasts").append(node);
  window.setTimeout(() => node.remove(), kind === "error" ? 9000 : 4000);
}
