// Polls a job's status.json every second and updates the job page in place; stops once the job ends.
(function () {
  "use strict";
  var root = document.getElementById("job");
  if (!root || root.dataset.finished === "true") return;
  var url = root.dataset.statusUrl;
  var field = function (name) { return document.querySelector('[data-field="' + name + '"]'); };
  var section = function (name) { return document.querySelector('[data-section="' + name + '"]'); };
  // A time as the server draws it (the `when` filter): "just now" for what the poll sees happen, the
  // exact time in the title.
  var when = function (cell, iso) {
    if (!iso) { cell.textContent = "—"; return; }
    var time = document.createElement("time");
    time.dateTime = iso;
    time.title = new Date(iso).toLocaleString();
    time.textContent = Math.abs(Date.now() - new Date(iso).getTime()) < 60000 ? "just now" : new Date(iso).toLocaleString();
    cell.replaceChildren(time);
  };

  function render(job) {
    var status = field("status");
    status.textContent = job.status_display;
    status.className = "badge badge--job-" + job.status;
    field("phase").textContent = job.is_finished ? "" : (job.phase || "");
    var bar = document.getElementById("job-progress");
    var text = field("progress");
    if (job.percent !== null) {
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
      text.textContent = job.progress_display;
    } else if (job.status === "succeeded") {
      bar.value = 100;
      text.textContent = "";
    } else {
      bar.removeAttribute("value"); // indeterminate until the job knows its total
      text.textContent = job.progress_display;
    }
    when(field("started_at"), job.started_at);
    when(field("finished_at"), job.finished_at);
    if (field("rate")) field("rate").textContent = job.rate_display || "—";
    if (field("eta")) field("eta").textContent = job.eta_display || "—";
    if (job.chunks && field("chunks")) {
      Object.keys(job.chunks).forEach(function (name) {
        var badge = field("chunks").querySelector('[data-chunk="' + name + '"]');
        if (!badge) return;
        badge.querySelector("[data-count]").textContent = String(job.chunks[name]);
        badge.className = "badge" + (job.chunks[name] ? " badge--chunk-" + name : ""); // zero stays grey
      });
    }
    if (job.is_finished && section("cancel")) section("cancel").hidden = true; // nothing left to cancel
    if (job.result) {
      var list = field("result");
      list.replaceChildren();
      // The server words the result (result_rows): the page never shows raw JSON.
      job.result_rows.forEach(function (each) {
        var row = document.createElement("div");
        var dt = document.createElement("dt");
        var dd = document.createElement("dd");
        row.dataset.key = each.key;
        dt.textContent = each.name;
        dd.textContent = each.value;
        row.append(dt, dd);
        list.append(row);
      });
      if (job.result.rejects_file && !field("rejects")) {
        var p = document.createElement("p");
        var a = document.createElement("a");
        p.dataset.field = "rejects";
        a.href = url.replace(/status\.json$/, "rejects.jsonl");
        a.textContent = "download the rejects file";
        p.append("Rejected lines were kept: ", a, ", fix them and import it again.");
        section("result").append(p);
      }
      section("result").hidden = false;
    }
    if (job.error) {
      field("error").textContent = job.error;
      section("error").hidden = false;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (job) {
        render(job);
        if (!job.is_finished) window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); }); // a blip: try again, more slowly
  }
  window.setTimeout(poll, 1000);
})();
