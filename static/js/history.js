// Past playlists, newest first, a page at a time; each one opens its result page or can be deleted.
import { apiFetch, describeError } from "./http.js";
import { fetchOutcomes, historyOutcome } from "./outcome.js";

const list = document.getElementById("history-list");
const status = document.getElementById("history-status");
const pager = document.getElementById("history-pager");
const EMOTIONS = JSON.parse(document.getElementById("emotion-points").textContent);
const notice = document.getElementById("history-notice");
const STATUS_LABEL = { completed: "Ready", failed: "Failed", queued: "Queued", predicting: "In progress", generating: "In progress", saving: "In progress" };

function pageFromUrl(url) {
  if (!url) return null;
  const value = new URL(url, window.location.origin).searchParams.get("page");
  return value ? Number(value) : 1;
}

function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function entry(job) {
  const id = job.job_id || job.id;
  const item = document.createElement("li");
  item.className = "history__item";
  const link = document.createElement("a");
  link.className = "history__link";
  link.href = `/results/${encodeURIComponent(id)}/`;

  const quote = document.createElement("span");
  quote.className = "history__text";
  quote.textContent = job.text || "";

  const meta = document.createElement("span");
  meta.className = "history__meta";
  const parts = [];
  const top = job.prediction && job.prediction.top_emotion;
  if (top) parts.push(`felt ${top}`);
  if (job.target_emotion) parts.push(`wanted ${job.target_emotion}`);
  else if (job.target_point) parts.push(`wanted (${job.target_point.join(", ")})`);
  const songs = job.playlist && job.playlist.songs ? job.playlist.songs.length : null;
  if (songs !== null) parts.push(`${songs} songs`);
  meta.textContent = parts.join(" · ");

  const time = document.createElement("time");
  time.className = "history__time";
  time.dateTime = job.created_at || "";
  time.textContent = when(job.created_at);

  const badge = document.createElement("span");
  badge.className = `badge badge--${job.status}`;
  badge.textContent = STATUS_LABEL[job.status] || job.status || "";

  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "button button--ghost button--small history__delete";
  remove.textContent = "Delete";
  remove.setAttribute("aria-label", `Delete the playlist from ${time.textContent || "this day"}`);
  remove.addEventListener("click", () => deletePlaylist(id, remove));

  if (!job.text) quote.textContent = "(your text was erased after the retention period)";
  link.append(quote, meta);
  item.append(link, time, badge, remove);
  // The chain of re-routes: each re-route links to the playlist it re-planned.
  const parent = job.journey && job.journey.rerouted_from;
  if (parent) {
    const chain = document.createElement("a");
    chain.className = "history__chain";
    chain.href = `/results/${encodeURIComponent(parent)}/`;
    chain.textContent = `↳ re-routed while listening, from an earlier playlist (${(job.journey.exclude_song_ids || []).length} songs played)`;
    item.append(chain);
  }
  return item;
}

function say(message) {
  notice.textContent = message;
  notice.hidden = false;
}

async function deletePlaylist(id, button) {
  if (!window.confirm("Delete this playlist and what you wrote? This cannot be undone.")) return;
  button.disabled = true;
  const response = await apiFetch(`/api/v1/playlists/${encodeURIComponent(id)}/`, { method: "DELETE" });
  if (response.ok || response.status === 404) {
    say("Playlist deleted.");
    await load();
    return;
  }
  button.disabled = false;
  say(`We couldn't delete it. ${describeError(response)}`);
}

async function load() {
  const page = Number(new URLSearchParams(window.location.search).get("page") || "1") || 1;
  const response = await apiFetch(`/api/v1/playlists/?page=${page}`);
  if (!response.ok) {
    status.textContent = response.status === 404 && page > 1 ? "There is no such page." : describeError(response);
    status.classList.add("status-line--error");
    return;
  }
  const data = response.data || {};
  const results = Array.isArray(data) ? data : data.results || [];
  const outcomes = await fetchOutcomes(results.filter((job) => job.status === "completed").map((job) => job.job_id));
  list.replaceChildren(
    ...results.map((job) => {
      const item = entry(job);
      if (job.status === "completed" && job.playlist) historyOutcome(item, job, outcomes[job.job_id] || null, EMOTIONS);
      return item;
    }),
  );
  const total = typeof data.count === "number" ? data.count : results.length;
  status.textContent = total
    ? `${total} playlist${total === 1 ? "" : "s"}, newest first.`
    : "No playlists yet. Make your first one on the home page.";

  const prev = pageFromUrl(data.previous);
  const next = pageFromUrl(data.next);
  if (prev || next) {
    pager.hidden = false;
    const prevLink = document.getElementById("history-prev");
    const nextLink = document.getElementById("history-next");
    prevLink.hidden = !prev;
    nextLink.hidden = !next;
    if (prev) prevLink.href = `?page=${prev}`;
    if (next) nextLink.href = `?page=${next}`;
    document.getElementById("history-page").textContent = `Page ${page}`;
  }
}

if (new URLSearchParams(window.location.search).has("deleted")) say("Playlist deleted.");
load();
