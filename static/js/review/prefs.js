// How a stated preference is drawn: a chip reading "sports · team = Golden State Warriors (like)",
// tinted by its polarity, with the words of the utterance that say it (when the label gives them) on
// hover.

import { el } from "./dom.js";

export function polarityOf(preference) {
  return preference && preference.polarity === "dislike" ? "dislike" : "like";
}

export function preferenceText(preference) {
  return preference.domain + " · " + preference.key + " = " + preference.value + " (" + polarityOf(preference) + ")";
}

export function preferenceChip(preference, utterance) {
  const said = utterance && Number.isInteger(preference.start) && Number.isInteger(preference.end)
    ? "says “" + utterance.slice(preference.start, preference.end) + "”" : null;
  return el("span", { className: "pref-chip pref-chip--" + polarityOf(preference), title: said, text: preferenceText(preference) });
}
