// The review page: draws a dialogue's labels from the JSON the server embedded, and turns keystrokes
// into saves through the review API. Every save answers with the labels it changed, which are drawn
// again; a conflict (409) answers with the label as it is now, which is drawn with a message.
// Vendored, no build step, no dependency: the site works offline.
(function () {
  "use strict";

  var app = document.getElementById("review-app");
  if (!app) return;
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var urls = JSON.parse(document.getElementById("review-urls").textContent);
  var csrf = app.dataset.csrf;
  var root = document.getElementById("review-conversation");
  var statusLine = document.getElementById("review-status");
  var lockLine = document.getElementById("review-lock");
  var toasts = document.getElementById("toasts");
  var picker = document.getElementById("picker");
  var help = document.getElementById("help");

  var TURN_KINDS = ["intent", "slots", "failure_point", "rephrase_of", "defect"];
  var KIND_NAMES = {
    intent: "Intent", slots: "Slots", failure_point: "Failure point", rephrase_of: "Rephrase of",
    defect: "Defect", goal_segments: "Goals", goal_success: "Goal success"
  };
  var SOURCE_RANK = { "import": 0, model: 1, person: 2 };
  var turns = data.turns;
  var turnByPk = {};
  var turnById = {};
  turns.forEach(function (turn, index) { turn.index = index; turnByPk[turn.pk] = turn; turnById[turn.id] = turn; });
  var labels = {};
  data.labels.forEach(function (label) { labels[label.id] = label; });
  var progress = data.progress;
  var chain = Promise.resolve();
  var spanMode = null;

  // ---------------------------------------------------------------------------------------------
  // What is shown
  // ---------------------------------------------------------------------------------------------

  // The label under review of a target: a person's before a model's before an import, newest first.
  function labelOf(turnPk, kind) {
    var best = null;
    Object.keys(labels).forEach(function (id) {
      var label = labels[id];
      if (label.kind !== kind || label.turn !== turnPk) return;
      if (!best || SOURCE_RANK[label.source] > SOURCE_RANK[best.source] ||
          (SOURCE_RANK[label.source] === SOURCE_RANK[best.source] && label.id > best.id)) best = label;
    });
    return best;
  }

  // With several reviews required, a reviewer sees their own verdict until the label is settled.
  function shown(label) {
    if (!label) return null;
    if (label.mine && label.required > 1 && !label.settled) {
      var rejected = label.mine.decision === "reject";
      return { value: rejected ? null : label.mine.value, status: rejected ? "rejected" : (label.mine.decision === "correct" ? "corrected" : "accepted"), yours: true, rejected: rejected };
    }
    return { value: label.value, status: label.status, yours: false, rejected: label.status === "rejected" };
  }

  function segments() {
    var label = labelOf(null, "goal_segments");
    var view = shown(label);
    if (!view || view.rejected || !Array.isArray(view.value)) return [];
    return view.value.map(function (goal) { return (goal && Array.isArray(goal.turns)) ? goal.turns.slice() : []; });
  }

  function goalIndexOf(turnId, goals) {
    for (var i = 0; i < goals.length; i++) if (goals[i].indexOf(turnId) !== -1) return i;
    return -1;
  }

  function percent(value) { return value === null || value === undefined ? "—" : Math.round(value * 100) + "%"; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else if (attrs[key] !== null && attrs[key] !== undefined && attrs[key] !== false) node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // The same hue per slot type as the server's slot_hue filter (CRC32 of the name, modulo 360).
  var CRC_TABLE = (function () {
    var table = [];
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = (c & 1) ? (0xEDB88320 ^ (c >>> 1)) : (c >>> 1);
      table[n] = c >>> 0;
    }
    return table;
  })();
  function slotHue(name) {
    var bytes = new TextEncoder().encode(String(name));
    var crc = 0xFFFFFFFF;
    for (var i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xFF] ^ (crc >>> 8);
    return ((crc ^ 0xFFFFFFFF) >>> 0) % 360;
  }

  function validSpans(text, spans) {
    if (!Array.isArray(spans)) return [];
    var end = 0;
    return spans
      .map(function (span, index) { return { span: span, index: index }; })
      .filter(function (item) { return item.span && Number.isInteger(item.span.start) && Number.isInteger(item.span.end); })
      .sort(function (a, b) { return a.span.start - b.span.start; })
      .filter(function (item) {
        var ok = item.span.start >= end && item.span.end > item.span.start && item.span.end <= text.length;
        if (ok) end = item.span.end;
        return ok;
      });
  }

  // The utterance with each span in a <mark> coloured by its type; the type tag is not part of the
  // text (data-skip), so selections map back to character offsets.
  function highlight(text, spans, interactive) {
    var parts = [];
    var cursor = 0;
    validSpans(text, spans).forEach(function (item) {
      var span = item.span;
      var type = String(span.type || "slot");
      var value = span.value !== undefined && span.value !== text.slice(span.start, span.end) ? " = " + span.value : "";
      parts.push(text.slice(cursor, span.start));
      var mark = el("mark", {
        className: "slot", style: "--slot-hue: " + slotHue(type), title: type + value + " (" + text.slice(span.start, span.end) + ")",
        "data-span": interactive ? String(item.index) : null, tabindex: interactive ? "-1" : null
      }, [text.slice(span.start, span.end), el("span", { className: "slot-type", "data-skip": "", text: type })]);
      parts.push(mark);
      cursor = span.end;
    });
    parts.push(text.slice(cursor));
    return parts;
  }

  function statusBadge(view, label) {
    var text = view.status + (view.yours ? " by you" : "");
    if (label.required > 1 && !label.settled) text += " · " + label.reviews + "/" + label.required + " reviews";
    return el("span", { className: "badge badge--" + view.status, text: text });
  }

  function valueView(kind, value, turn) {
    if (kind === "intent") return value ? el("code", { text: value }) : el("span", { className: "muted", text: "not for the assistant" });
    if (kind === "slots") {
      if (!Array.isArray(value) || !value.length) return el("span", { className: "muted", text: "no slots" });
      return el("span", { className: "slot-list" }, value.map(function (span) {
        var text = turn ? turn.utterance.slice(span.start, span.end) : "";
        return el("span", { className: "slot-chip", style: "--slot-hue: " + slotHue(span.type) }, [el("b", { text: span.type }), " " + text]);
      }));
    }
    if (kind === "failure_point") return el("span", { className: "badge badge--fp-" + value, text: value || "—" });
    if (kind === "rephrase_of") {
      if (!value) return el("span", { className: "muted", text: "not a rephrase" });
      return el("span", {}, ["rephrases ", el("a", { href: "#turn-" + value, "data-goto": value, text: value })]);
    }
    if (kind === "defect") return value ? el("span", { className: "badge badge--failure", text: "defect" }) : el("span", { className: "badge badge--success", text: "no defect" });
    if (kind === "goal_success") return value ? el("span", { className: "badge badge--success", text: "✓ achieved" }) : el("span", { className: "badge badge--failure", text: "✗ not achieved" });
    return el("code", { text: JSON.stringify(value) });
  }

  // Where the label differs from what the assistant did at the time, both are shown.
  function assistantDiff(kind, value, turn) {
    if (kind === "intent" && turn.intent && turn.intent !== value) {
      return el("span", { className: "assistant-did" }, ["assistant: ", el("code", { text: turn.intent })]);
    }
    if (kind === "slots" && Array.isArray(turn.slots) && JSON.stringify(canonicalSpans(turn.slots)) !== JSON.stringify(canonicalSpans(value))) {
      return el("span", { className: "assistant-did" }, ["assistant: "].concat(turn.slots.length ? turn.slots.map(function (span) {
        return el("span", { className: "slot-chip", style: "--slot-hue: " + slotHue(span.type) }, [el("b", { text: span.type }), " " + turn.utterance.slice(span.start, span.end)]);
      }) : [el("span", { className: "muted", text: "none" })]));
    }
    return null;
  }

  function canonicalSpans(spans) {
    return (Array.isArray(spans) ? spans : []).map(function (s) { return [s.start, s.end, s.type]; }).sort(function (a, b) { return a[0] - b[0]; });
  }

  function labelItem(kind, turn) {
    var label = labelOf(turn ? turn.pk : null, kind);
    if (!label) {
      return el("li", { className: "review-label review-label--missing", tabindex: "-1", "data-kind": kind, "data-turn": turn ? String(turn.pk) : null }, [
        el("span", { className: "review-label__kind", text: KIND_NAMES[kind] }),
        el("span", { className: "muted", text: "no label" })
      ]);
    }
    var view = shown(label);
    var classes = ["review-label", "review-label--" + view.status];
    if (label.awaiting) classes.push("is-awaiting");
    if (label.low) classes.push("is-low");
    return el("li", { className: classes.join(" "), tabindex: "-1", "data-label": String(label.id), "data-kind": kind }, [
      el("span", { className: "review-label__kind" }, [KIND_NAMES[kind], label.awaiting ? el("span", { className: "visually-hidden", text: " (waits for your verdict)" }) : null]),
      el("span", { className: "review-label__value" }, [view.rejected ? el("s", {}, [valueView(kind, label.value, turn)]) : valueView(kind, view.value, turn),
        turn && !view.rejected ? assistantDiff(kind, view.value, turn) : null]),
      el("span", { className: "review-label__meta" }, [
        statusBadge(view, label),
        el("span", { className: "conf" + (label.low ? " conf--low" : ""), title: "confidence", text: percent(label.confidence) }),
        el("span", { className: "source source--" + label.source, text: label.source_name })
      ])
    ]);
  }

  function turnItem(turn) {
    var slotsView = shown(labelOf(turn.pk, "slots"));
    var spans = slotsView && !slotsView.rejected ? slotsView.value : [];
    var utterance = el("span", { className: "utterance", "data-utterance": String(turn.pk) });
    if (spanMode && spanMode.turn === turn.pk) {
      var words = spanMode.words;
      var start = words[spanMode.from].start, end = words[spanMode.to].end;
      utterance.append(turn.utterance.slice(0, start), el("mark", { className: "span-pick", text: turn.utterance.slice(start, end) }), turn.utterance.slice(end));
    } else if (turn.utterance) {
      highlight(turn.utterance, spans, true).forEach(function (part) { utterance.append(part); });
    } else {
      utterance.append(el("span", { className: "muted", text: "(nothing heard)" }));
    }
    var meta = el("div", { className: "turn__meta" }, [
      el("span", { className: "turn-id", text: turn.id }),
      turn.asr_confidence !== null ? el("span", { className: "metric", title: "ASR confidence", text: "ASR " + turn.asr_confidence.toFixed(2) }) : null,
      turn.nlu_confidence !== null ? el("span", { className: "metric", title: "NLU confidence", text: "NLU " + turn.nlu_confidence.toFixed(2) }) : null,
      turn.barge_in ? el("span", { className: "badge badge--bargein", text: "barge-in" }) : null,
      turn.feedback ? el("span", { className: "badge badge--" + (turn.feedback === "positive" ? "success" : "failure"), text: turn.feedback + " feedback" }) : null
    ]);
    var decision = (turn.domain || turn.intent || turn.status) ? el("div", { className: "decision", "aria-label": "What the assistant decided" }, [
      turn.domain ? el("span", { className: "decision__item" }, [el("span", { className: "decision__key", text: "domain" }), " " + turn.domain]) : null,
      turn.intent ? el("span", { className: "decision__item" }, [el("span", { className: "decision__key", text: "intent" }), " " + turn.intent]) : null,
      turn.status ? el("span", { className: "badge", text: turn.status }) : null
    ]) : null;
    var talk = el("div", { className: "turn__talk" }, [
      meta,
      el("div", { className: "bubble bubble--person" }, [el("span", { className: "visually-hidden", text: "Person said: " }), utterance]),
      spanMode && spanMode.turn === turn.pk ? el("p", { className: "span-hint", text: "Choose the words: ← → move, Shift+← → narrow or widen, Enter picks the type, Esc cancels." }) : null,
      decision,
      turn.response ? el("div", { className: "bubble bubble--assistant" }, [el("span", { className: "visually-hidden", text: "Assistant answered: " }), turn.response]) : null
    ]);
    var list = el("ul", { className: "review-labels", "aria-label": "Labels of turn " + turn.id }, TURN_KINDS.map(function (kind) { return labelItem(kind, turn); }));
    return el("li", { className: "turn", id: "turn-" + turn.id, tabindex: "-1", "data-turn": String(turn.pk) }, [
      talk, el("div", { className: "turn__labels" }, [list])
    ]);
  }

  function render() {
    var focus = focusKey();
    var goals = segments();
    var bands = [];
    turns.forEach(function (turn) {
      var goal = goalIndexOf(turn.id, goals);
      if (!bands.length || bands[bands.length - 1].goal !== goal) bands.push({ goal: goal, turns: [] });
      bands[bands.length - 1].turns.push(turn);
    });
    var segmentationLabel = labelOf(null, "goal_segments");
    root.replaceChildren();
    if (segmentationLabel) {
      var segView = shown(segmentationLabel);
      root.append(el("ul", { className: "review-labels review-labels--dialogue", "aria-label": "Goal segmentation" }, [
        el("li", { className: "review-label review-label--" + segView.status + (segmentationLabel.awaiting ? " is-awaiting" : "") + (segmentationLabel.low ? " is-low" : ""),
          tabindex: "-1", "data-label": String(segmentationLabel.id), "data-kind": "goal_segments" }, [
          el("span", { className: "review-label__kind", text: "Goals" }),
          el("span", { className: "review-label__value", text: goals.length + (goals.length === 1 ? " goal" : " goals") + (goals.length ? ": " + goals.map(function (g) { return g.length > 1 ? g[0] + "–" + g[g.length - 1] : (g[0] || "?"); }).join(", ") : "") }),
          el("span", { className: "review-label__meta" }, [statusBadge(segView, segmentationLabel),
            el("span", { className: "conf" + (segmentationLabel.low ? " conf--low" : ""), text: percent(segmentationLabel.confidence) }),
            el("span", { className: "source source--" + segmentationLabel.source, text: segmentationLabel.source_name })])
        ])
      ]));
    }
    bands.forEach(function (band) {
      var number = band.goal + 1;
      var header = el("header", { className: "goal-band__header" }, [
        el("h2", { className: "goal-band__title", text: band.goal >= 0 ? "Goal " + number : (goals.length ? "Not part of any goal" : "Turns (no goal segmentation)") })
      ]);
      if (band.goal >= 0) {
        var success = labelItem("goal_success", band.turns[0]);
        success.classList.add("review-label--success");
        header.append(el("ul", { className: "review-labels review-labels--inline", "aria-label": "Success of goal " + number }, [success]));
      }
      root.append(el("section", { className: "goal-band " + (band.goal >= 0 ? "goal-band--goal" : "goal-band--none"), "aria-label": band.goal >= 0 ? "Goal " + number : "Turns in no goal" }, [
        header, el("ol", { className: "turns" }, band.turns.map(turnItem))
      ]));
    });
    renderStatus();
    restoreFocus(focus);
  }

  function renderStatus() {
    if (progress.done) statusLine.textContent = "Done: every label has your verdict. Press n for the next dialogue.";
    else statusLine.textContent = progress.awaiting_for_me + (progress.awaiting_for_me === 1 ? " label waits" : " labels wait") + " for you.";
    if (progress.required > 1) statusLine.textContent += " Reviews finished: " + progress.reviews_done + " of " + progress.required + ".";
    var lock = data.lock;
    if (lock.held_by && !lock.mine) {
      lockLine.hidden = false;
      lockLine.textContent = lock.held_by + " is reviewing this dialogue until " + new Date(lock.until).toLocaleTimeString() + ": your changes may conflict with theirs.";
    } else {
      lockLine.hidden = true;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Focus
  // ---------------------------------------------------------------------------------------------

  function focusKey() {
    var active = document.activeElement;
    if (!active || !root.contains(active)) return null;
    var labelEl = active.closest("[data-label], [data-kind]");
    var turnEl = active.closest(".turn");
    return {
      label: labelEl && labelEl.dataset.label, kind: labelEl && labelEl.dataset.kind,
      turn: turnEl && turnEl.dataset.turn, span: active.dataset ? active.dataset.span : undefined
    };
  }

  function restoreFocus(key) {
    if (!key) return;
    var target = null;
    var turnEl = key.turn ? root.querySelector('.turn[data-turn="' + key.turn + '"]') : null;
    if (key.label) target = root.querySelector('[data-label="' + key.label + '"]');
    if (!target && key.kind && turnEl) target = turnEl.querySelector('[data-kind="' + key.kind + '"]');
    if (!target) target = turnEl;
    if (target) focusOn(target);
  }

  function focusOn(node) {
    node.focus({ preventScroll: true });
    node.scrollIntoView({ block: "nearest" });
  }

  function currentTurn() {
    var active = document.activeElement;
    var turnEl = active && active.closest ? active.closest(".turn") : null;
    if (turnEl) return turnByPk[turnEl.dataset.turn];
    var band = active && active.closest ? active.closest(".goal-band") : null;
    if (band) { var first = band.querySelector(".turn"); if (first) return turnByPk[first.dataset.turn]; }
    return null;
  }

  function currentLabelEl() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("[data-label], .review-label--missing") : null;
  }

  function moveTurn(step) {
    var turnEls = Array.prototype.slice.call(root.querySelectorAll(".turn"));
    if (!turnEls.length) return;
    var turn = currentTurn();
    var index = turn ? turn.index + step : (step > 0 ? 0 : turnEls.length - 1);
    index = Math.max(0, Math.min(turnEls.length - 1, index));
    focusOn(turnEls[index]);
  }

  function moveLabel(step) {
    var turn = currentTurn();
    var scope = turn ? root.querySelector('.turn[data-turn="' + turn.pk + '"]') : root;
    var items = Array.prototype.slice.call(scope.querySelectorAll(".review-label"));
    if (turn) {
      // The goal's success label sits in the band header: it belongs to the goal's first turn.
      var band = scope.closest(".goal-band");
      if (band && band.querySelector(".turn") === scope) items = Array.prototype.slice.call(band.querySelectorAll(".goal-band__header .review-label")).concat(items);
    }
    if (!items.length) return;
    var index = items.indexOf(currentLabelEl());
    index = index === -1 ? (step > 0 ? 0 : items.length - 1) : index + step;
    if (index < 0 || index >= items.length) { if (turn) focusOn(scope); return; }
    focusOn(items[index]);
  }

  // ---------------------------------------------------------------------------------------------
  // Saving
  // ---------------------------------------------------------------------------------------------

  function toast(message, kind) {
    var node = el("div", { className: "toast toast--" + (kind || "info"), text: message });
    toasts.append(node);
    window.setTimeout(function () { node.remove(); }, kind === "error" ? 9000 : 4000);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) { return { status: response.status, json: json }; });
    });
  }

  function apply(outcome) {
    (outcome.deleted || []).forEach(function (id) { delete labels[id]; });
    (outcome.labels || []).forEach(function (label) { labels[label.id] = label; });
    if (outcome.progress) progress = outcome.progress;
    render();
  }

  // Actions run one after another, each reading the revisions the one before left.
  function enqueue(action) {
    chain = chain.then(action).catch(function (error) { toast("Not saved: " + error.message, "error"); });
    return chain;
  }

  function save(url, body, success) {
    return post(url, body).then(function (result) {
      if (result.status >= 200 && result.status < 300) {
        apply(result.json);
        toast(success, "success");
      } else if (result.status === 409 && result.json.current) {
        apply({ labels: result.json.current });
        toast(result.json.detail, "error");
      } else {
        toast(result.json.detail || ("Not saved (" + result.status + ")"), "error");
      }
    });
  }

  function decide(labelId, action, value, message) {
    return enqueue(function () {
      var label = labels[labelId];
      var body = { action: action, revision: label.revision };
      if (action === "correct") body.value = value;
      return save(urls.decision.replace(/\/0\/decision\/$/, "/" + labelId + "/decision/"), body, message);
    });
  }

  function acceptMany(ids, message) {
    if (!ids.length) { toast("Nothing here waits for your verdict.", "info"); return; }
    enqueue(function () {
      return save(urls.accept_all, { labels: ids.map(function (id) { return { id: Number(id), revision: labels[id].revision }; }) }, message);
    });
  }

  // Set a target's value: a correction of its label, or a new label where there is none to correct.
  function setValue(kind, turn, value, message) {
    var label = labelOf(turn ? turn.pk : null, kind);
    if (label && !(label.settled && label.status === "rejected")) return decide(label.id, "correct", value, message);
    return enqueue(function () {
      return save(urls.create, { kind: kind, turn: turn ? turn.id : null, value: value }, message);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The picker: a searchable list in a modal dialog
  // ---------------------------------------------------------------------------------------------

  function pick(title, options, allowFree) {
    return new Promise(function (resolve) {
      var search = document.getElementById("picker-search");
      var list = document.getElementById("picker-list");
      var returnTo = document.activeElement;
      var active = 0;
      var visible = [];
      document.getElementById("picker-title").textContent = title;
      search.value = "";
      function draw() {
        var query = search.value.trim().toLowerCase();
        visible = options.filter(function (option) { return !query || option.label.toLowerCase().indexOf(query) !== -1; });
        if (allowFree && query && !options.some(function (o) { return o.label.toLowerCase() === query; })) {
          visible.push({ label: "Use “" + search.value.trim() + "”", value: search.value.trim() });
        }
        active = Math.min(active, Math.max(0, visible.length - 1));
        list.replaceChildren.apply(list, visible.map(function (option, index) {
          var item = el("li", { role: "option", id: "picker-option-" + index, "aria-selected": index === active ? "true" : "false", className: index === active ? "is-active" : "" }, [option.label, option.hint ? el("span", { className: "muted small", text: " " + option.hint }) : null]);
          item.addEventListener("mousedown", function (event) { event.preventDefault(); finish(option); });
          return item;
        }));
        search.setAttribute("aria-activedescendant", visible.length ? "picker-option-" + active : "");
        var current = list.children[active];
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
      function onInput() { active = 0; draw(); }
      function onKey(event) {
        if (event.key === "ArrowDown") { active = Math.min(visible.length - 1, active + 1); draw(); event.preventDefault(); }
        else if (event.key === "ArrowUp") { active = Math.max(0, active - 1); draw(); event.preventDefault(); }
        else if (event.key === "Enter") { event.preventDefault(); if (visible.length) finish(visible[active]); }
      }
      function onCancel(event) { event.preventDefault(); finish(null); }
      search.addEventListener("input", onInput);
      search.addEventListener("keydown", onKey);
      picker.addEventListener("cancel", onCancel);
      draw();
      picker.showModal();
      search.focus();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Commands
  // ---------------------------------------------------------------------------------------------

  function needTurn() {
    var turn = currentTurn();
    if (!turn) toast("Move to a turn first (j / k).", "info");
    return turn;
  }

  function acceptFocused() {
    var labelEl = currentLabelEl();
    if (labelEl && labelEl.dataset.label) {
      var label = labels[labelEl.dataset.label];
      decide(label.id, "accept", undefined, KIND_NAMES[label.kind] + " accepted.");
      return;
    }
    var turn = needTurn();
    if (!turn) return;
    var ids = Object.keys(labels).filter(function (id) { return labels[id].turn === turn.pk && labels[id].awaiting; });
    acceptMany(ids, "Accepted the labels of " + turn.id + ".");
  }

  function rejectFocused() {
    var labelEl = currentLabelEl();
    if (!labelEl || !labelEl.dataset.label) { toast("Move to a label first (l / h), then r rejects it.", "info"); return; }
    var label = labels[labelEl.dataset.label];
    decide(label.id, "reject", undefined, KIND_NAMES[label.kind] + " rejected.");
  }

  function editIntent() {
    var turn = needTurn();
    if (!turn) return;
    var options = [{ label: "(not for the assistant)", value: null }].concat(data.inventory.intents.map(function (name) { return { label: name, value: name }; }));
    pick("Intent of " + turn.id, options, true).then(function (option) {
      if (option) setValue("intent", turn, option.value, "Intent of " + turn.id + " set to " + (option.value || "none") + ".");
    });
  }

  function editFailure() {
    var turn = needTurn();
    if (!turn) return;
    pick("Failure point of " + turn.id, data.inventory.failure_points.map(function (name) { return { label: name, value: name }; }), false).then(function (option) {
      if (option) setValue("failure_point", turn, option.value, "Failure point of " + turn.id + " set to " + option.value + ".");
    });
  }

  function editRephrase() {
    var turn = needTurn();
    if (!turn) return;
    var options = [{ label: "not a rephrase", value: null }].concat(turns.slice(0, turn.index).reverse().map(function (earlier) {
      return { label: earlier.id, value: earlier.id, hint: earlier.utterance };
    }));
    pick("Turn " + turn.id + " rephrases…", options, false).then(function (option) {
      if (option) setValue("rephrase_of", turn, option.value, option.value ? turn.id + " rephrases " + option.value + "." : turn.id + " is not a rephrase.");
    });
  }

  function flipDefect() {
    var turn = needTurn();
    if (!turn) return;
    var view = shown(labelOf(turn.pk, "defect"));
    var value = !(view && !view.rejected && view.value === true);
    setValue("defect", turn, value, turn.id + (value ? " is a defect." : " is not a defect."));
  }

  function flipSuccess() {
    var turn = needTurn();
    if (!turn) return;
    var goals = segments();
    var goal = goalIndexOf(turn.id, goals);
    if (goal === -1) { toast(turn.id + " is in no goal.", "info"); return; }
    var first = turnById[goals[goal][0]];
    var view = shown(labelOf(first.pk, "goal_success"));
    var value = !(view && !view.rejected && view.value === true);
    setValue("goal_success", first, value, "Goal " + (goal + 1) + (value ? " achieved." : " not achieved."));
  }

  function utteranceOf(turn) { return root.querySelector('[data-utterance="' + turn.pk + '"]'); }

  // Character offsets of the current text selection inside a turn's utterance (type tags excluded).
  function selectionIn(turn) {
    var selection = window.getSelection();
    var container = utteranceOf(turn);
    if (!selection || !selection.rangeCount || selection.isCollapsed || !container) return null;
    var range = selection.getRangeAt(0);
    if (!container.contains(range.startContainer) || !container.contains(range.endContainer)) return null;
    function offset(node, at) {
      var before = document.createRange();
      before.setStart(container, 0);
      before.setEnd(node, at);
      var fragment = before.cloneContents();
      fragment.querySelectorAll("[data-skip]").forEach(function (tag) { tag.remove(); });
      return fragment.textContent.length;
    }
    var start = offset(range.startContainer, range.startOffset);
    var end = offset(range.endContainer, range.endOffset);
    while (start < end && /\s/.test(turn.utterance[start])) start++;
    while (end > start && /\s/.test(turn.utterance[end - 1])) end--;
    return start < end ? { start: start, end: end } : null;
  }

  function turnOfSelection() {
    var selection = window.getSelection();
    if (!selection || !selection.rangeCount || selection.isCollapsed) return null;
    var node = selection.anchorNode;
    var holder = node && (node.nodeType === 1 ? node : node.parentElement);
    var utterance = holder && holder.closest("[data-utterance]");
    return utterance ? turnByPk[utterance.dataset.utterance] : null;
  }

  function addSlot() {
    var turn = turnOfSelection() || needTurn();
    if (!turn) return;
    var span = selectionIn(turn);
    if (span) { chooseSlotType(turn, span); return; }
    var words = [];
    turn.utterance.replace(/\S+/g, function (word, start) { words.push({ start: start, end: start + word.length }); return word; });
    if (!words.length) { toast(turn.id + " has no words to label.", "info"); return; }
    spanMode = { turn: turn.pk, words: words, from: 0, to: 0 };
    render();
    focusOn(root.querySelector('.turn[data-turn="' + turn.pk + '"]'));
  }

  function spanModeKey(event) {
    var mode = spanMode;
    var last = mode.words.length - 1;
    if (event.key === "Escape") { spanMode = null; render(); }
    else if (event.key === "ArrowRight" || event.key === "l") {
      if (event.shiftKey) mode.to = Math.min(last, mode.to + 1);
      else { mode.from = Math.min(last, mode.to + 1); mode.to = mode.from; }
      render();
    } else if (event.key === "ArrowLeft" || event.key === "h") {
      if (event.shiftKey) mode.to = Math.max(mode.from, mode.to - 1);
      else { mode.from = Math.max(0, mode.from - 1); mode.to = mode.from; }
      render();
    } else if (event.key === "Enter") {
      var turn = turnByPk[mode.turn];
      var span = { start: mode.words[mode.from].start, end: mode.words[mode.to].end };
      spanMode = null;
      render();
      chooseSlotType(turn, span);
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  function chooseSlotType(turn, span) {
    var text = turn.utterance.slice(span.start, span.end);
    var options = data.inventory.slot_types.map(function (name) { return { label: name, value: name }; });
    pick("Slot type of “" + text + "”", options, true).then(function (option) {
      if (!option) return;
      var view = shown(labelOf(turn.pk, "slots"));
      var spans = view && !view.rejected && Array.isArray(view.value) ? view.value.slice() : [];
      var overlapping = spans.filter(function (s) { return s.start < span.end && span.start < s.end; });
      if (overlapping.length) { toast("“" + text + "” overlaps the " + overlapping[0].type + " span: delete that one first (x).", "error"); return; }
      spans.push({ start: span.start, end: span.end, type: option.value });
      spans.sort(function (a, b) { return a.start - b.start; });
      window.getSelection().removeAllRanges();
      setValue("slots", turn, spans, "Added " + option.value + " “" + text + "” to " + turn.id + ".");
    });
  }

  function deleteSlot() {
    var turn = turnOfSelection() || needTurn();
    if (!turn) return;
    var view = shown(labelOf(turn.pk, "slots"));
    var spans = view && !view.rejected && Array.isArray(view.value) ? view.value.slice() : [];
    var index = -1;
    var active = document.activeElement;
    if (active && active.dataset && active.dataset.span !== undefined) index = Number(active.dataset.span);
    var selected = selectionIn(turn);
    if (index === -1 && selected) index = spans.findIndex(function (s) { return s.start < selected.end && selected.start < s.end; });
    if (index === -1 && spans.length === 1) index = 0;
    if (index === -1) { toast(spans.length ? "Focus a span (Tab) or select its text, then x deletes it." : turn.id + " has no slot spans.", "info"); return; }
    var removed = spans.splice(index, 1)[0];
    setValue("slots", turn, spans, "Deleted the " + removed.type + " span of " + turn.id + ".");
  }

  function setGoals(goals, message) {
    var value = goals.filter(function (goal) { return goal.length; }).map(function (goal) { return { turns: goal }; });
    setValue("goal_segments", null, value, message);
  }

  function position(turnId) { return turnById[turnId].index; }
  function contiguous(first, second) { return first.length && second.length && position(first[first.length - 1]) + 1 === position(second[0]); }

  // b: the boundary moves up to this turn: it and the rest of its goal join the next goal.
  function boundaryUp() {
    var turn = needTurn();
    if (!turn) return;
    var goals = segments();
    var g = goalIndexOf(turn.id, goals);
    if (g === -1) { toast(turn.id + " is in no goal: g starts one here.", "info"); return; }
    var at = goals[g].indexOf(turn.id);
    if (at === 0) { toast(turn.id + " already starts goal " + (g + 1) + ": Shift+B moves this boundary down.", "info"); return; }
    var rest = goals[g].splice(at);
    if (g + 1 < goals.length && contiguous(rest, goals[g + 1])) goals[g + 1] = rest.concat(goals[g + 1]);
    else goals.splice(g + 1, 0, rest);
    setGoals(goals, "Goal " + (g + 2) + " now starts at " + turn.id + ".");
  }

  // B: the boundary moves down past this turn: the start of its goal up to it joins the goal before.
  function boundaryDown() {
    var turn = needTurn();
    if (!turn) return;
    var goals = segments();
    var g = goalIndexOf(turn.id, goals);
    if (g <= 0 || !contiguous(goals[g - 1], goals[g])) { toast("No goal right before the goal of " + turn.id + ".", "info"); return; }
    var head = goals[g].splice(0, goals[g].indexOf(turn.id) + 1);
    goals[g - 1] = goals[g - 1].concat(head);
    setGoals(goals, "Goal " + g + " now ends at " + turn.id + ".");
  }

  // g: split the goal at this turn, or merge it into the goal before when it already starts one.
  function splitOrMerge() {
    var turn = needTurn();
    if (!turn) return;
    var goals = segments();
    var g = goalIndexOf(turn.id, goals);
    if (g === -1) {
      var after = goals.filter(function (goal) { return position(goal[0]) < turn.index; }).length;
      goals.splice(after, 0, [turn.id]);
      setGoals(goals, turn.id + " starts a goal of its own.");
      return;
    }
    var at = goals[g].indexOf(turn.id);
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

  function undo() {
    enqueue(function () { return save(urls.undo, {}, "Undone."); });
  }

  function acceptAll() {
    var ids = Object.keys(labels).filter(function (id) { return labels[id].awaiting; });
    acceptMany(ids, "Accepted every label on the page (" + ids.length + ").");
  }

  function next() {
    chain.then(function () { document.getElementById("next-form").requestSubmit(); });
  }

  function goTo(turnId) {
    var node = root.querySelector('.turn[data-turn="' + (turnById[turnId] || {}).pk + '"]');
    if (node) focusOn(node);
  }

  var COMMANDS = {
    j: function () { moveTurn(1); }, ArrowDown: function () { moveTurn(1); },
    k: function () { moveTurn(-1); }, ArrowUp: function () { moveTurn(-1); },
    l: function () { moveLabel(1); }, ArrowRight: function () { moveLabel(1); },
    h: function () { moveLabel(-1); }, ArrowLeft: function () { moveLabel(-1); },
    a: acceptFocused, A: acceptAll, r: rejectFocused, u: undo, n: next,
    i: editIntent, f: editFailure, p: editRephrase, d: flipDefect, o: flipSuccess,
    s: addSlot, x: deleteSlot, b: boundaryUp, B: boundaryDown, g: splitOrMerge,
    "?": function () { help.showModal(); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (picker.open || help.open) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (spanMode && spanModeKey(event)) return;
    if (event.key === "Enter" && target && target.dataset && target.dataset.goto) { goTo(target.dataset.goto); event.preventDefault(); return; }
    var command = COMMANDS[event.key];
    if (!command) return;
    event.preventDefault();
    command();
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-goto]");
    if (link) { event.preventDefault(); goTo(link.dataset.goto); return; }
    var button = event.target.closest("[data-command]");
    if (!button) return;
    var name = button.dataset.command;
    if (name === "accept-all") acceptAll();
    else if (name === "undo") undo();
    else if (name === "help") help.showModal();
  });

  render();
  // Start on the first turn with a label waiting for this reviewer (else the first turn).
  var firstWaiting = root.querySelector(".turn .review-label.is-awaiting");
  var start = firstWaiting ? firstWaiting.closest(".turn") : root.querySelector(".turn");
  if (start) focusOn(start);
  app.dataset.ready = "true";
})();
