// "How do you feel now?": after a playlist, the person taps the plane or picks a named emotion, once per
// playlist (changeable). PUT /api/v1/playlists/<id>/outcome/ stores it; storage measures it against the
// mood the reading found (the start) and the target. Also draws the small before/after arrows that the
// history page shows. Built with DOM calls: no text is ever parsed as markup.
import { apiFetch, describeError, fieldErrors } from "./http.js";

const SVG = "http://www.w3.org/2000/svg";

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const outcomeUrl = (jobId) => `/api/v1/playlists/${encodeURIComponent(jobId)}/outcome/`;
const round1 = (value) => Math.round(value * 10) / 10;
const clamp = (value) => Math.max(-10, Math.min(10, value));

// A square plane of `size` px with a margin; returns [svg, x(valence), y(arousal)].
function frame(size, margin, label) {
  const span = size - 2 * margin;
  const x = (valence) => margin + ((Number(valence) + 10) / 20) * span;
  const y = (arousal) => margin + ((10 - Number(arousal)) / 20) * span;
  const svg = el("svg", { viewBox: `0 0 ${size} ${size}`, class: "outcome__svg", role: "img", "aria-label": label });
  svg.append(
    el("rect", { x: margin, y: margin, width: span, height: span, rx: 4, class: "plane__frame" }),
    el("line", { x1: x(0), y1: margin, x2: x(0), y2: margin + span, class: "plane__axis" }),
    el("line", { x1: margin, y1: y(0), x2: margin + span, y2: y(0), class: "plane__axis" }),
  );
  return [svg, x, y];
}

function arrow(svg, x, y, from, to, cls) {
  if (!from || !to) return;
  svg.append(el("line", { x1: x(from[0]), y1: y(from[1]), x2: x(to[0]), y2: y(to[1]), class: cls, "marker-end": `url(#${cls}-head)` }));
}

function arrowHeads(svg) {
  const defs = el("defs");
  for (const cls of ["outcome__intended", "outcome__reported"]) {
    const marker = el("marker", { id: `${cls}-head`, viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 5, markerHeight: 5, orient: "auto-start-reverse" });
    marker.append(el("path", { d: "M0,0 L10,5 L0,10 z", class: `${cls}-head` }));
    defs.append(marker);
  }
  svg.append(defs);
}

function describePoint(point) {
  return `valence ${round1(point[0])}, arousal ${round1(point[1])}`;
}

// The intended move (start → target, dashed) and the reported one (start → after, solid), small.
export function moveArrows(start, target, after, size = 64) {
  const parts = [`Intended: from ${start ? describePoint(start) : "your mood"} towards ${target ? describePoint(target) : "the target"}.`];
  parts.push(after ? `Reported: to ${describePoint(after)}.` : "No feeling reported yet.");
  const [svg, x, y] = frame(size, 4, parts.join(" "));
  svg.classList.add("outcome__arrows");
  arrowHeads(svg);
  arrow(svg, x, y, start, target, "outcome__intended");
  arrow(svg, x, y, start, after, "outcome__reported");
  if (start) svg.append(el("circle", { cx: x(start[0]), cy: y(start[1]), r: 2.5, class: "outcome__start" }));
  return svg;
}

function summaryText(outcome, targetLabel) {
  const felt = outcome.after_emotion ? `you feel ${outcome.after_emotion}` : `you are at ${describePoint(outcome.after_point)}`;
  const direction = outcome.toward_target ? `nearer to ${targetLabel} than before` : `no nearer to ${targetLabel} than before`;
  return `Saved: ${felt}, ${direction}. You can change it any time.`;
}

// The picker for one completed job: {element, outcome}. `emotions` are [{label, valence, arousal}].
export function outcomePicker(job, emotions, { outcome = null, onSaved = () => {} } = {}) {
  const root = document.createElement("div");
  root.className = "outcome";
  root.dataset.jobId = job.job_id;
  const id = (name) => `outcome-${name}-${job.job_id}`;

  const intro = document.createElement("p");
  intro.className = "muted";
  intro.textContent = "Tap the plane where you are now, or pick a feeling. You can change it later.";

  const start = job.prediction ? [job.prediction.valence, job.prediction.arousal] : null;
  const target = job.target_point || null;
  // Room around the plotted square for the emotions' labels at its edges.
  const [size, margin] = [240, 20];
  const span = size - 2 * margin;
  // Pointer input; keyboard users pick a named feeling from the list below (same result).
  const [svg, x, y] = frame(size, margin, "Tap where you feel now (left unpleasant, right pleasant, bottom calm, top energetic), or pick a feeling below");
  svg.classList.add("outcome__plane");
  arrowHeads(svg);
  for (const e of emotions) {
    svg.append(el("circle", { cx: x(e.valence), cy: y(e.arousal), r: 2.5, class: "plane__emotion" }));
    svg.append(el("text", { x: x(e.valence), y: y(e.arousal) - 5, "text-anchor": "middle", class: "outcome__label" }, e.label));
  }
  if (target) svg.append(el("circle", { cx: x(target[0]), cy: y(target[1]), r: 7, class: "plane__target" }));
  if (start) svg.append(el("circle", { cx: x(start[0]), cy: y(start[1]), r: 7, class: "plane__start" }));
  const reported = el("g", { class: "outcome__mark" });
  svg.append(reported);

  const form = document.createElement("form");
  form.className = "outcome__form";
  const label = document.createElement("label");
  label.htmlFor = id("emotion");
  label.textContent = "I feel";
  const select = document.createElement("select");
  select.id = id("emotion");
  select.name = "emotion";
  select.append(new Option("choose a feeling…", ""), ...emotions.map((e) => new Option(e.label, e.label)));
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "button button--small";
  save.textContent = "Save how I feel";
  form.append(label, select, save);

  const status = document.createElement("p");
  status.className = "outcome__status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");

  function show(current) {
    reported.replaceChildren();
    if (!current) return;
    arrow(reported, x, y, start, current.after_point, "outcome__reported");
    reported.append(el("circle", { cx: x(current.after_point[0]), cy: y(current.after_point[1]), r: 6, class: "outcome__after", "data-point": "after" }));
    select.value = current.after_emotion || "";
    status.textContent = summaryText(current, job.target_emotion);
    status.classList.remove("status-line--error");
  }

  async function report(body) {
    status.textContent = "Saving…";
    const response = await apiFetch(outcomeUrl(job.job_id), { method: "PUT", body });
    if (!response.ok) {
      const fields = fieldErrors(response.data);
      status.textContent = Object.values(fields)[0] || describeError(response);
      status.classList.add("status-line--error");
      return;
    }
    show(response.data);
    onSaved(response.data);
  }

  svg.addEventListener("click", (event) => {
    const matrix = svg.getScreenCTM();
    if (!matrix) return;
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    const valence = clamp(round1(((point.x - margin) / span) * 20 - 10));
    const arousal = clamp(round1(10 - ((point.y - margin) / span) * 20));
    report({ valence, arousal });
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!select.value) {
      status.textContent = "Pick a feeling first, or tap the plane.";
      status.classList.add("status-line--error");
      return;
    }
    report({ emotion: select.value });
  });

  root.append(intro, svg, form, status);
  show(outcome);
  return root;
}

// Reads the job's outcome (null when none yet).
export async function fetchOutcome(jobId) {
  const response = await apiFetch(outcomeUrl(jobId));
  return response.ok ? response.data : null;
}

// The result page's hook: once the job is completed, "How do you feel now?" appears after the list.
export function attachOutcome(root, emotions) {
  const section = root.querySelector("#outcome-section");
  if (!section) return;
  let shownFor = null;
  root.addEventListener("job:finished", async (event) => {
    const job = event.detail;
    if (job.status !== "completed" || !job.playlist || shownFor === job.job_id) return;
    shownFor = job.job_id;
    const outcome = await fetchOutcome(job.job_id);
    section.querySelector("#outcome-body").replaceChildren(outcomePicker(job, emotions, { outcome }));
    section.hidden = false;
  });
}

// Outcomes of several jobs at once (one history page): {job_id: outcome}.
export async function fetchOutcomes(jobIds) {
  if (!jobIds.length) return {};
  const query = jobIds.map((id) => `job_id=${encodeURIComponent(id)}`).join("&");
  const response = await apiFetch(`/api/v1/outcomes/?${query}`);
  return response.ok && Array.isArray(response.data) ? Object.fromEntries(response.data.map((o) => [o.job_id, o])) : {};
}

// The history page's hook for one completed job: the intended and reported moves as small arrows, and
// "How do you feel now?" folded under the entry (the arrows follow a new report).
export function historyOutcome(item, job, outcome, emotions) {
  const start = job.prediction ? [job.prediction.valence, job.prediction.arousal] : null;
  let arrows = moveArrows(start, job.target_point, outcome && outcome.after_point);
  item.prepend(arrows);
  const details = document.createElement("details");
  details.className = "history__outcome";
  const summary = document.createElement("summary");
  summary.textContent = outcome ? "Change how you feel now" : "How do you feel now?";
  details.append(summary);
  details.addEventListener(
    "toggle",
    () => {
      details.append(
        outcomePicker(job, emotions, {
          outcome,
          onSaved(saved) {
            const fresh = moveArrows(start, job.target_point, saved.after_point);
            arrows.replaceWith(fresh);
            arrows = fresh;
            summary.textContent = "Change how you feel now";
          },
        }),
      );
    },
    { once: true },
  );
  item.append(details);
}
