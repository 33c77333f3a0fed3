// The review page's entry point: reads the data the server embedded (json_script), draws the
// dialogue, listens to the keyboard and starts on the first turn with a label waiting for this
// reviewer. No build step and no dependency: the site works offline.

import { byId, focusOn } from "./dom.js";
import { listen } from "./keyboard.js";
import { render } from "./render.js";
import { load } from "./store.js";

const app = byId("review-app");
if (app) {
  load(JSON.parse(byId("review-data").textContent), JSON.parse(byId("review-urls").textContent), app.dataset.csrf);
  listen();
  render();
  const root = byId("review-conversation");
  const firstWaiting = root.querySelector(".turn .review-label.is-awaiting");
  const start = firstWaiting ? firstWaiting.closest(".turn") : root.querySelector(".turn");
  if (start) focusOn(start);
  app.dataset.ready = "true";
}
