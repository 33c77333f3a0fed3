// Saving through the review API: one request at a time, each sending the revision it saw; a success
// or a conflict (409, with the labels as they are now) is applied to the state and drawn again.

import { toast } from "./dom.js";
import { render } from "./render.js";
import { apply, labelOf, state } from "./store.js";

let chain = Promise.resolve();

function post(url, body) {
  return fetch(url, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": state.csrf },
    body: JSON.stringify(body || {}),
  }).then((response) => response.json().catch(() => ({})).then((json) => ({ status: response.status, json })));
}

// Actions run one after another, each reading the revisions the one before left.
function enqueue(action) {
  chain = chain.then(action).catch((error) => toast("Not saved: " + error.message, "error"));
  return chain;
}

// Runs `then` once every save asked for so far is done.
export function afterSaves(then) {
  chain.then(then);
}

function save(url, body, success) {
  return post(url, body).then((result) => {
    if (result.status >= 200 && result.status < 300) {
      apply(result.json);
      render();
      toast(success, "success");
    } else if (result.status === 409 && result.json.current) {
      apply({ labels: result.json.current, under_review: result.json.under_review });
      render();
      toast(result.json.detail, "error");
    } else {
      toast(result.json.detail || ("Not saved (" + result.status + ")"), "error");
    }
  });
}

// action: "accept", "reject" or "correct" (with a value).
export function decide(labelId, action, value, message) {
  return enqueue(() => {
    const label = state.labels[labelId];
    const body = { action, revision: label.revision };
    if (action === "correct") body.value = value;
    return save(state.urls.decision.replace(/\/0\/decision\/$/, "/" + labelId + "/decision/"), body, message);
  });
}

export function acceptMany(labels, message) {
  if (!labels.length) {
    toast("Nothing here waits for your verdict.", "info");
    return;
  }
  const ids = labels.map((label) => label.id);
  enqueue(() => save(state.urls.accept_all, {
    labels: ids.map((id) => ({ id, revision: state.labels[id].revision })),
  }, message));
}

// Set a target's value: a correction of its label, or a new label where there is none to correct
// (the server creates one where the label under review is missing or settled as rejected).
export function setValue(kind, turn, value, message) {
  const label = labelOf(turn ? turn.pk : null, kind);
  if (label && !(label.settled && label.status === "rejected")) return decide(label.id, "correct", value, message);
  return enqueue(() => save(state.urls.create, { kind, turn: turn ? turn.id : null, value }, message));
}

export function undo() {
  enqueue(() => save(state.urls.undo, {}, "Undone."));
}
