// Goals: moving a boundary (b / B), splitting or merging at a turn (g), and flipping a goal's success
// (o). Each proposes a whole new segmentation; the server moves the goals' success labels with it.

import { toast } from "./dom.js";
import { setValue } from "./api.js";
import { needTurn } from "./focus.js";
import { goalIndexOf, segments, shownValue } from "./labels.js";
import { state } from "./store.js";

function setGoals(goals, message) {
  const value = goals.filter((goal) => goal.length).map((goal) => ({ turns: goal }));
  setValue("goal_segments", null, value, message);
}

const position = (turnId) => state.turnById[turnId].index;
const contiguous = (first, second) =>
  first.length && second.length && position(first[first.length - 1]) + 1 === position(second[0]);

// b: the boundary moves up to this turn: it and the rest of its goal join the next goal.
export function boundaryUp() {
  const turn = needTurn();
  if (!turn) return;
  const goals = segments();
  const g = goalIndexOf(turn.id, goals);
  if (g === -1) { toast(turn.id + " is in no goal: g starts one here.", "info"); return; }
  const at = goals[g].indexOf(turn.id);
  if (at === 0) { toast(turn.id + " already starts goal " + (g + 1) + ": Shift+B moves this boundary down.", "info"); return; }
  const rest = goals[g].splice(at);
  if (g + 1 < goals.length && contiguous(rest, goals[g + 1])) goals[g + 1] = rest.concat(goals[g + 1]);
  else goals.splice(g + 1, 0, rest);
  setGoals(goals, "Goal " + (g + 2) + " now starts at " + turn.id + ".");
}

// B: the boundary moves down past this turn: the start of its goal up to it joins the goal before.
export function boundaryDown() {
  const turn = needTurn();
  if (!turn) return;
  const goals = segments();
  const g = goalIndexOf(turn.id, goals);
  if (g <= 0 || !contiguous(goals[g - 1], goals[g])) { toast("No goal right before the goal of " + turn.id + ".", "info"); return; }
  const head = goals[g].splice(0, goals[g].indexOf(turn.id) + 1);
  goals[g - 1] = goals[g - 1].concat(head);
  setGoals(goals, "Goal " + g + " now ends at " + turn.id + ".");
}

// g: split the goal at this turn, or merge it into the goal before when it already starts one.
export function splitOrMerge() {
  const turn = needTurn();
  if (!turn) return;
  const goals = segments();
  const g = goalIndexOf(turn.id, goals);
  if (g === -1) {
    const after = goals.filter((goal) => position(goal[0]) < turn.index).length;
    goals.splice(after, 0, [turn.id]);
    setGoals(goals, turn.id + " starts a goal of its own.");
    return;
  }
  const at = goals[g].indexOf(turn.id);
  if (at > 0) {
    goals.splice(g + 1, 0, goals[g].splice(at));
    setGoals(goals, "Split goal " + (g + 1) + " at " + turn.id + ".");
  } else if (g > 0 && contiguous(goals[g - 1], goals[g])) {
    goals[g - 1] = goals[g - 1].concat(goals[g]);
    goals.splice(g, 1);
    setGoals(goals, "Merged goal " + (g + 1) + " into goal " + g + ".");
  } else {
    toast(turn.id + " starts the first goal (or one after a gap): nothing to merge it into.", "info");
  }
}

// o: the success label of the goal this turn is in sits on the goal's first turn.
export function flipSuccess() {
  const turn = needTurn();
  if (!turn) return;
  const goals = segments();
  const goal = goalIndexOf(turn.id, goals);
  if (goal === -1) { toast(turn.id + " is in no goal.", "info"); return; }
  const first = state.turnById[goals[goal][0]];
  const value = shownValue(first.pk, "goal_success", null) !== true;
  setValue("goal_success", first, value, "Goal " + (goal + 1) + (value ? " achieved." : " not achieved."));
}
