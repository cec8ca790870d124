// The live result view: stages as they happen, the emotional breakdown (why, and how sure), the plane, the playlist.
import { apiFetch, describeError } from "./http.js";
import { JobStream } from "./jobstream.js";
import { attachOutcome } from "./outcome.js";
import { enableDragging, renderPlane } from "./plane.js";
import { copyText, download, playlistAsText, renderPlaylist } from "./playlist.js";
import { describeConfidence, describeWords, percent, renderMarkedText } from "./reading.js";

const STAGES = ["predicting", "generating", "saving"];
const STAGE_INDEX = { queued: 0, predicting: 0, generating: 1, saving: 2, completed: 3 };
const STATUS_TEXT = {
  queued: "Waiting for a free moment…",
  predicting: "Reading your mood…",
  generating: "Choosing songs…",
  saving: "Saving your playlist…",
  completed: "Your playlist is ready.",
  failed: "Stopped before your playlist was ready.",
};

// Path quality in one line: the steps between songs (largest, average, spread) and which path it is.
function describeQuality(playlist) {
  const m = playlist.metrics || {};
  const [largest, mean, spread] = [Number(m.largest_step) || 0, Number(m.mean_step) || 0, Number(m.step_spread) || 0];
  const ratio = mean ? spread / mean : 0;
  const evenness = ratio < 0.25 ? "even steps" : ratio < 0.5 ? "fairly even steps" : "uneven steps";
  const path = playlist.seed === null || playlist.seed === undefined ? "the best path" : `path #${playlist.seed}`;
  return `Steps between songs: largest ${largest.toFixed(1)}, average ${mean.toFixed(1)}, spread ${spread.toFixed(2)} (${evenness}); ${path}.`;
}

// The job API request that made this job (for "Another path").
export function requestOf(job) {
  const journey = job.journey || {};
  const body = { text: job.text, length: job.length, stay: journey.stay ?? undefined };
  if (job.target_emotion) body.target_emotion = job.target_emotion;
  else body.target = job.target_point;
  if (journey.start_point) body.start = journey.start_point;
  if (journey.waypoints && journey.waypoints.length) body.waypoints = journey.waypoints;
  if (journey.max_step !== null && journey.max_step !== undefined) body.max_step = journey.max_step;
  if (journey.artist_cap !== null && journey.artist_cap !== undefined) body.artist_cap = journey.artist_cap;
  return body;
}
const $ = (root, id) => root.querySelector(`#${id}`);

export function createResultView(root) {
  const emotionPoints = JSON.parse(document.getElementById("emotion-points").textContent);
  const targetOf = Object.fromEntries(emotionPoints.map((e) => [e.label, [e.valence, e.arousal]]));
  const state = { stream: null, job: null, plane: null, list: null, sources: [], tapping: false, rerouteStart: null };
  attachOutcome(root, emotionPoints);

  function markStages(job) {
    const failed = job.status === "failed";
    // Where a failed job stopped: the stage it was in when it failed (a job failed while queued stops at the first).
    const stoppedAt = failed ? (job.error && job.error.stage) || "queued" : job.status;
    const reached = STAGE_INDEX[stoppedAt] ?? 0;
    const active = !failed && job.status !== "queued" && job.status !== "completed";
    root.querySelectorAll(".stage").forEach((item, index) => {
      let value = "pending";
      if (index < reached) value = "done";
      else if (index === reached && failed) value = "failed";
      else if (index === reached && active) value = "active";
      item.dataset.state = value;
      item.querySelector(".stage__state").textContent = ` (${value === "active" ? "in progress" : value})`;
      if (value === "active") item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    });
    root.querySelector('[data-stage="saving"] .stage__label').textContent = job.status === "completed" ? "Saved" : "Saving";
  }

  function renderBreakdown(prediction) {
    const list = $(root, "breakdown");
    const rows = [...(prediction.emotions || [])].sort((a, b) => b.probability - a.probability);
    if (Number(prediction.others) > 0) rows.push({ label: "others", probability: prediction.others, others: true });
    list.replaceChildren(
      ...rows.map((row) => {
        const item = document.createElement("li");
        item.className = row.others ? "bar bar--others" : "bar";
        const label = document.createElement("span");
        label.className = "bar__label";
        label.textContent = row.label;
        const track = document.createElement("span");
        track.className = "bar__track";
        track.setAttribute("aria-hidden", "true");
        const fill = document.createElement("span");
        fill.className = "bar__fill";
        fill.style.width = `${Math.max(0, Math.min(100, Number(row.probability) * 100))}%`;
        track.append(fill);
        const value = document.createElement("span");
        value.className = "bar__value";
        value.textContent = percent(row.probability);
        item.append(label, track, value);
        return item;
      }),
    );
    const notes = [`Mostly ${prediction.top_emotion}.`];
    if (Number(prediction.others) > 0) notes.push("Emotions under 5% are grouped as “others”.");
    if (prediction.truncated) notes.push("Your text was long, so we read the first part.");
    $(root, "breakdown-note").textContent = notes.join(" ");
  }

  // One song is highlighted at a time, on the plane and in the list: the latest one pointed at or
  // focused; when the pointer leaves, the focused one (if any) stays highlighted, and vice versa.
  const marks = { pointer: null, focus: null };
  function highlight(index, source = "pointer") {
    marks[source] = index;
    const active = index !== null ? index : marks[source === "pointer" ? "focus" : "pointer"];
    state.plane?.highlight(active);
    state.list?.highlight(active);
  }

  // Why and how sure: the text with the words that moved the reading marked, those words in a line, and
  // the confidence (said plainly when the reading is unsure). "You now" is the reading's unless placed.
  const startIsReading = (job) => !(job.journey && job.journey.start_point);
  const ERASED = "(Your text was erased after the retention period; the playlist stays.)";

  function renderReading(job) {
    const prediction = job.prediction || {};
    const text = $(root, "result-text");
    if (job.text) renderMarkedText(text, job.text, prediction.words || [], prediction.top_emotion || "");
    else text.textContent = ERASED;
    const show = (id, content) => {
      $(root, id).textContent = content;
      $(root, id).hidden = !content;
    };
    show("reading-words", job.prediction ? describeWords(prediction, job.text) : "");
    const { sure, unsure } = job.prediction ? describeConfidence(prediction, startIsReading(job)) : { sure: "", unsure: "" };
    show("reading-confidence", sure);
    show("reading-unsure", unsure);
  }

  // The halo around "you now": where the reading places you, give or take halo_radius (not around a start
  // the person placed themselves).
  function haloOf(job) {
    const prediction = job.prediction;
    if (!prediction || !(Number(prediction.halo_radius) > 0) || !startIsReading(job)) return null;
    const label = `${describeConfidence(prediction, true).sure} The halo around “you now” is where you likely are.`;
    return { radius: Number(prediction.halo_radius), label };
  }

  function renderPicture(job) {
    const prediction = job.prediction;
    const journey = job.journey || {};
    const songs = (job.playlist && job.playlist.songs) || [];
    const reading = prediction ? [prediction.valence, prediction.arousal] : null;
    const halo = haloOf(job);
    state.plane = renderPlane($(root, "plane"), {
      emotions: emotionPoints,
      start: (job.playlist && job.playlist.start) || journey.start_point || reading,
      target: job.target_point || targetOf[job.target_emotion] || null,
      targetLabel: job.target_emotion,
      waypoints: (job.playlist && job.playlist.waypoints) || journey.waypoints || [],
      songs,
      halo,
      onSongHover: highlight,
    });
    $(root, "legend-halo").hidden = !halo;
    $(root, "path-quality").textContent = job.playlist ? describeQuality(job.playlist) : "";
    // Drag "you now" to correct where the reading placed you: the same request from there, a new job.
    // "I feel different now" by a tap: the next click on the plane says where you are.
    const finished = job.status === "completed" || job.status === "failed";
    enableDragging(state.plane.svg, {
      draggable: finished ? ["start"] : [],
      onDrop: (kind, point) => restart({ ...requestOf(job), start: point }, "Starting from where you put yourself…"),
      onClick: (point) => {
        if (!state.tapping) return;
        state.rerouteStart = point;
        setTapping(false);
        $(root, "reroute-start").textContent = `(${point.join(", ")})`;
      },
    });
    state.list = renderPlaylist($(root, "playlist"), songs, { onSongHover: highlight });
    const notes = (job.playlist && job.playlist.notes) || [];
    $(root, "playlist-notes").replaceChildren(
      ...notes.map((note) => {
        const item = document.createElement("li");
        item.textContent = String(note);
        return item;
      }),
    );
  }

  function setTapping(on) {
    state.tapping = on;
    $(root, "reroute-tap").setAttribute("aria-pressed", String(on));
    $(root, "plane").classList.toggle("is-tapping", on);
  }

  // The re-route form (finished playlists with songs still to come) and, on a re-route, where it came from.
  function renderReroute(job) {
    const songs = (job.playlist && job.playlist.songs) || [];
    const form = $(root, "reroute");
    form.hidden = job.status !== "completed" || songs.length < 2;
    const select = $(root, "reroute-position");
    select.replaceChildren(
      ...songs.slice(0, -1).map((song, index) => {
        const option = document.createElement("option");
        option.value = String(index);
        option.textContent = `${index + 1}. ${song.title || "Untitled"}`;
        return option;
      }),
    );
    const parent = job.journey && job.journey.rerouted_from;
    const note = $(root, "reroute-note");
    note.hidden = !parent;
    if (parent) {
      const link = document.createElement("a");
      link.href = `/results/${encodeURIComponent(parent)}/`;
      link.textContent = "the earlier playlist";
      const played = (job.journey.exclude_song_ids || []).length;
      note.replaceChildren("Re-routed while listening: the rest of ", link, `, from how you feel now (${played} songs already played are left out).`);
    }
  }

  function render(job) {
    state.job = job;
    root.hidden = false;
    markStages(job);
    $(root, "status-line").textContent = STATUS_TEXT[job.status] || "";
    root.dataset.status = job.status;

    const error = $(root, "job-error");
    if (job.status === "failed") {
      $(root, "job-error-message").textContent =
        (job.error && job.error.message) || "The playlist could not be made. Please try again.";
      error.hidden = false;
    } else {
      error.hidden = true;
    }

    const body = $(root, "result-body");
    if (job.prediction || job.playlist) {
      body.hidden = false;
      renderReading(job);
      $(root, "result-target").textContent = job.target_emotion || `the point (${(job.target_point || []).join(", ")})`;
      if (job.prediction) renderBreakdown(job.prediction);
      renderPicture(job);
      $(root, "playlist-section").hidden = !job.playlist;
      const files = `/api/v1/playlists/${encodeURIComponent(job.job_id)}/playlist`;
      $(root, "download-m3u").href = `${files}.m3u`;
      $(root, "download-xspf").href = `${files}.xspf`;
      renderReroute(job);
    } else {
      body.hidden = true;
    }
    if (job.status === "completed" || job.status === "failed") root.dispatchEvent(new CustomEvent("job:finished", { detail: job }));
  }

  function connectionChanged(kind, detail) {
    const note = $(root, "connection-note");
    const say = (text) => {
      note.textContent = text;
      note.hidden = !text;
    };
    if (kind === "live") say(detail.reconnect ? "Reconnected. Live updates are back." : "");
    else if (kind === "reconnecting") say("Connection lost. Reconnecting…");
    else if (kind === "polling")
      say("Live updates aren't available on this connection, so we're checking for progress every few seconds instead.");
    else if (kind === "unauthenticated") say("Your session has ended. Please log in again to see this playlist.");
    else if (kind === "not_found") say("We couldn't find this playlist. It may belong to another account.");
    else if (kind === "closed" && state.job && state.job.status === "completed") say("");
  }

  function playlistSongs() {
    return (state.job && state.job.playlist && state.job.playlist.songs) || [];
  }

  function fileStem() {
    const date = (state.job && state.job.created_at ? state.job.created_at : new Date().toISOString()).slice(0, 10);
    return `playlist-${state.job ? state.job.target_emotion : ""}-${date}`;
  }

  $(root, "copy-playlist").addEventListener("click", async () => {
    const ok = await copyText(playlistAsText(playlistSongs()));
    $(root, "copy-status").textContent = ok ? "Copied the playlist to your clipboard." : "Couldn't copy. Select the list and copy it by hand.";
  });
  $(root, "download-json").addEventListener("click", () => {
    const job = state.job || {};
    const data = {
      job_id: job.job_id,
      created_at: job.created_at,
      text: job.text,
      target_emotion: job.target_emotion,
      prediction: job.prediction,
      playlist: job.playlist,
    };
    download(`${fileStem()}.json`, `${JSON.stringify(data, null, 2)}\n`, "application/json");
  });
  $(root, "reroute-tap").addEventListener("click", () => setTapping(!state.tapping));
  $(root, "reroute").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!state.job) return;
    const error = $(root, "reroute-error");
    const body = { position: Number($(root, "reroute-position").value) };
    const text = $(root, "reroute-text").value.trim();
    if (text) body.text = text;
    if (state.rerouteStart) body.start = state.rerouteStart;
    if (!text && !state.rerouteStart) {
      error.textContent = "Write how you feel now, or tap the plane where you are.";
      return;
    }
    error.textContent = "";
    const response = await apiFetch(`/api/v1/playlists/${encodeURIComponent(state.job.job_id)}/reroute/`, { method: "POST", body });
    if (!response.ok || !response.data || !response.data.job_id) {
      const fields = (response.data && response.data.error && response.data.error.fields) || {};
      error.textContent = Object.values(fields).flat().join(" ") || describeError(response);
      return;
    }
    $(root, "reroute-text").value = "";
    state.rerouteStart = null;
    $(root, "reroute-start").textContent = "not tapped";
    view.show(response.data.job_id);
  });

  // A new job for a changed request, followed here, live, like the first.
  async function restart(body, saying) {
    const status = $(root, "copy-status");
    status.textContent = saying;
    const response = await apiFetch("/api/v1/playlists/", { method: "POST", body });
    if (!response.ok || !response.data || !response.data.job_id) {
      status.textContent = describeError(response);
      return;
    }
    status.textContent = "";
    view.show(response.data.job_id);
  }

  // Another path: the same request with a seed the server draws.
  $(root, "shuffle-playlist").addEventListener("click", () => {
    if (state.job) restart({ ...requestOf(state.job), shuffle: true }, "Finding another path…");
  });

  const view = {
    show(jobId) {
      state.stream?.stop();
      state.job = null;
      root.dataset.jobId = jobId;
      $(root, "result-permalink").href = `/results/${encodeURIComponent(jobId)}/`;
      root.hidden = false;
      $(root, "result-body").hidden = true;
      $(root, "job-error").hidden = true;
      $(root, "outcome-section").hidden = true;
      $(root, "copy-status").textContent = "";
      markStages({ status: "queued" });
      root.dataset.status = "queued"; // not the previous job's status while the new one starts
      $(root, "status-line").textContent = STATUS_TEXT.queued;
      state.stream = new JobStream(jobId, { onJob: render, onConnection: connectionChanged }).start();
      // A handle for people debugging in the console (and the browser tests).
      window.spg = Object.assign(window.spg || {}, { stream: state.stream, view: state });
      if (location.pathname.startsWith("/results/")) history.replaceState(null, "", `/results/${encodeURIComponent(jobId)}/`);
      return state.stream;
    },
  };
  return view;
}
