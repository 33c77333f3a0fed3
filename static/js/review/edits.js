// New values for a turn's labels: the intent, failure point and rephrase picked from lists (the
// inventory the server sent, the turns before this one), and the defect flag flipped.

import { setValue } from "./api.js";
import { needTurn } from "./focus.js";
import { shownValue } from "./labels.js";
import { pick } from "./picker.js";
import { state, targetName } from "./store.js";

const named = (name) => ({ label: name, value: name });

export function editIntent() {
  const turn = needTurn();
  if (!turn) return;
  const options = [{ label: "(not for the assistant)", value: null }].concat(state.data.inventory.intents.map(named));
  pick(targetName("intent", turn), options, true).then((option) => {
    if (option) setValue("intent", turn, option.value, targetName("intent", turn) + " set to " + (option.value || "none") + ".");
  });
}

export function editFailure() {
  const turn = needTurn();
  if (!turn) return;
  pick(targetName("failure_point", turn), state.data.inventory.failure_points.map(named), false).then((option) => {
    if (option) setValue("failure_point", turn, option.value, targetName("failure_point", turn) + " set to " + option.value + ".");
  });
}

export function editRephrase() {
  const turn = needTurn();
  if (!turn) return;
  const earlier = state.turns.slice(0, turn.index).reverse().map((t) => ({ label: t.id, value: t.id, hint: t.utterance }));
  pick("Turn " + turn.id + " rephrases…", [{ label: "not a rephrase", value: null }].concat(earlier), false).then((option) => {
    if (option) setValue("rephrase_of", turn, option.value, option.value ? turn.id + " rephrases " + option.value + "." : turn.id + " is not a rephrase.");
  });
}

export function flipDefect() {
  const turn = needTurn();
  if (!turn) return;
  const value = shownValue(turn.pk, "defect", null) !== true;
  setValue("defect", turn, value, turn.id + (value ? " is a defect." : " is not a defect."));
}
