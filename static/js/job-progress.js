// Polls a job's status.json every second and updates the job page in place; stops once the job ends.

const root = document.getElementById("job");
const field = (name) => document.querySelector(`[data-field="${name}"]`);
const section = (name) => document.querySelector(`[data-section="${name}"]`);

// A time as the server draws it (the `when` filter): "just now" for what the poll sees happen, the
// exact time in the title.
function when(cell, iso) {
  if (!iso) {
    cell.textContent = "—";
    return;
  }
  const time = document.createElement("time");
  const moment = new Date(iso);
  time.dateTime = iso;
  time.title = moment.toLocaleString();
  time.textContent = Math.abs(Date.now() - moment.getTime()) < 60000 ? "just now" : moment.toLocaleString();
  cell.replaceChildren(time);
}

function renderProgress(job) {
  const bar = document.getElementById("job-progress");
  const text = field("progress");
  text.textContent = job.progress_display;
  if (job.percent !== null) {
    bar.value = job.percent;
    bar.textContent = `${job.percent}%`;
  } else {
    bar.removeAttribute("value"); // indeterminate until the job knows its total
  }
}

function renderChunks(chunks) {
  const list = field("chunks");
  if (!chunks || !list) return;
  for (const [name, count] of Object.entries(chunks)) {
    const badge = list.querySelector(`[data-chunk="${name}"]`);
    if (!badge) continue;
    badge.querySelector("[data-count]").textContent = String(count);
    badge.className = `badge${count ? ` badge--chunk-${name}` : ""}`; // zero stays grey
  }
}

// The server words the result (result_rows): the page never shows raw JSON.
function renderResult(job, url) {
  const list = field("result");
  list.replaceChildren(
    ...job.result_rows.map((each) => {
      const row = document.createElement("div");
      const term = document.createElement("dt");
      const value = document.createElement("dd");
      row.dataset.key = each.key;
      term.textContent = each.name;
      value.textContent = each.value;
      row.append(term, value);
      return row;
    }),
  );
  if (job.result.rejects_file && !field("rejects")) {
    const paragraph = document.createElement("p");
    const link = document.createElement("a");
    paragraph.dataset.field = "rejects";
    link.href = url.replace(/status\.json$/, "rejects.jsonl");
    link.textContent = "download the rejects file";
    paragraph.append("Rejected lines were kept: ", link, ", fix them and import it again.");
    section("result").append(paragraph);
  }
  section("result").hidden = false;
}

function render(job, url) {
  const status = field("status");
  status.textContent = job.status_display;
  status.className = `badge badge--job-${job.status}`;
  field("phase").textContent = job.is_finished ? "" : job.phase || "";
  renderProgress(job);
  when(field("started_at"), job.started_at);
  when(field("finished_at"), job.finished_at);
  if (field("rate")) field("rate").textContent = job.rate_display || "—";
  if (field("eta")) field("eta").textContent = job.eta_display || "—";
  renderChunks(job.chunks);
  if (job.is_finished && section("cancel")) section("cancel").hidden = true; // nothing left to cancel
  if (job.result) renderResult(job, url);
  if (job.error) {
    field("error").textContent = job.error;
    section("error").hidden = false;
  }
}

async function poll(url) {
  try {
    const response = await fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const job = await response.json();
    render(job, url);
    if (!job.is_finished) window.setTimeout(() => poll(url), 1000);
  } catch {
    window.setTimeout(() => poll(url), 5000); // a blip: try again, more slowly
  }
}

if (root && root.dataset.finished !== "true") {
  window.setTimeout(() => poll(root.dataset.statusUrl), 1000);
}
