// The page's state as the server sent it, and the one place a save's answer is applied. The server
// names the label kinds (`kinds`) and decides which label of each target is under review
// (`under_review`, from review.rules.current_labels); this module only looks them up.

export const state = {
  data: null, // the embedded page data (turns, labels, inventory, lock, ...)
  urls: null,
  csrf: "",
  turns: [],
  turnByPk: {},
  turnById: {},
  labels: {}, // every label the server has sent, by id
  progress: null,
  spanMode: null, // choosing a slot span word by word: { turn, words, from, to }
};

const kinds = {}; // kind -> { kind, name, target }
let underReviewIds = []; // as the server's latest answer listed them
let underReview = {}; // "turnPk:kind" -> the label under review there

export function load(data, urls, csrf) {
  state.data = data;
  state.urls = urls;
  state.csrf = csrf;
  state.turns = data.turns;
  state.turns.forEach((turn, index) => {
    turn.index = index;
    state.turnByPk[turn.pk] = turn;
    state.turnById[turn.id] = turn;
  });
  data.kinds.forEach((kind) => { kinds[kind.kind] = kind; });
  apply({ labels: data.labels, under_review: data.under_review, progress: data.progress });
}

// A save's answer (or a conflict's): labels changed and deleted, the ids under review now, progress.
export function apply(outcome) {
  (outcome.deleted || []).forEach((id) => { delete state.labels[id]; });
  (outcome.labels || []).forEach((label) => { state.labels[label.id] = label; });
  if (outcome.progress) state.progress = outcome.progress;
  if (outcome.under_review) underReviewIds = outcome.under_review;
  underReview = {};
  underReviewIds.forEach((id) => {
    const label = state.labels[id];
    if (label) underReview[targetKey(label.turn, label.kind)] = label;
  });
}

function targetKey(turnPk, kind) {
  return (turnPk === null || turnPk === undefined ? "" : turnPk) + ":" + kind;
}

// The label under review of a turn (null: the dialogue) and kind, or null where there is none.
export function labelOf(turnPk, kind) {
  return underReview[targetKey(turnPk, kind)] || null;
}

export function labelsUnderReview() {
  return Object.values(underReview);
}

export function kindName(kind) {
  return kinds[kind] ? kinds[kind].name : kind;
}

// "<Kind> of t3", as titles and messages name a turn's label.
export function targetName(kind, turn) {
  return kindName(kind) + " of " + turn.id;
}

// The kinds listed under each turn, in the server's order.
export function turnKinds() {
  return Object.values(kinds).filter((kind) => kind.target === "turn").map((kind) => kind.kind);
}

// A kind a turn lists only where it has a label (its absence means none).
export function isOptional(kind) {
  return Boolean(kinds[kind] && kinds[kind].optional);
}
