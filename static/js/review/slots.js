// How slot spans are drawn: a hue per slot type, the utterance with its spans marked, a span's chip.

import { el } from "./dom.js";

// The same colour per slot type as the server's slot_hue template filter (CRC32 of the name, modulo the
// 24 hues of the `.slot-hue-N` classes in selflearn.css), so a type has one colour on every page. A class,
// not a style attribute: the Content-Security-Policy refuses those.
const HUES = 24;
const CRC_TABLE = (() => {
  const table = [];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) ? (0xEDB88320 ^ (c >>> 1)) : (c >>> 1);
    table[n] = c >>> 0;
  }
  return table;
})();

function slotHue(name) {
  const bytes = new TextEncoder().encode(String(name));
  let crc = 0xFFFFFFFF;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xFF] ^ (crc >>> 8);
  return ((crc ^ 0xFFFFFFFF) >>> 0) % HUES;
}

function hueClass(name) {
  return "slot-hue-" + slotHue(name);
}

// The spans that can be drawn: whole, in order, inside the text, not overlapping (with their index).
function drawable(text, spans) {
  if (!Array.isArray(spans)) return [];
  let end = 0;
  return spans
    .map((span, index) => ({ span, index }))
    .filter((item) => item.span && Number.isInteger(item.span.start) && Number.isInteger(item.span.end))
    .sort((a, b) => a.span.start - b.span.start)
    .filter((item) => {
      const ok = item.span.start >= end && item.span.end > item.span.start && item.span.end <= text.length;
      if (ok) end = item.span.end;
      return ok;
    });
}

// The utterance with each span in a <mark> coloured by its type; the type tag is not part of the
// text (data-skip), so selections map back to character offsets.
export function highlight(text, spans, interactive) {
  const parts = [];
  let cursor = 0;
  drawable(text, spans).forEach((item) => {
    const span = item.span;
    const type = String(span.type || "slot");
    const covered = text.slice(span.start, span.end);
    const value = span.value !== undefined && span.value !== covered ? " = " + span.value : "";
    parts.push(text.slice(cursor, span.start));
    parts.push(el("mark", {
      className: "slot " + hueClass(type), title: type + value + " (" + covered + ")",
      "data-span": interactive ? String(item.index) : null, tabindex: interactive ? "-1" : null,
    }, [covered, el("span", { className: "slot-type", "data-skip": "", text: type })]));
    cursor = span.end;
  });
  parts.push(text.slice(cursor));
  return parts;
}

export function slotChip(span, utterance) {
  return el("span", { className: "slot-chip " + hueClass(span.type) }, [
    el("b", { text: span.type }), " " + (utterance ? utterance.slice(span.start, span.end) : ""),
  ]);
}

// Spans as comparable data: [start, end, type] in order.
export function canonicalSpans(spans) {
  return (Array.isArray(spans) ? spans : []).map((s) => [s.start, s.end, s.type]).sort((a, b) => a[0] - b[0]);
}
