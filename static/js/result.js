// The live result view: stages as they happen, the emotional breakdown, the plane, the playlist.
import { JobStream } from "./jobstream.js";
import { attachOutcome } from "./outcome.js";
import { renderPlane } from "./plane.js";
import { copyText, download, playlistAsText, renderPlaylist } from "./playlist.js";

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

const percent = (p) => `${Math.round(Number(p) * 100)}%`;
const $ = (root, id) => root.querySelector(`#${id}`);

export function createResultView(root) {
  const emotionPoints = JSON.parse(document.getElementById("emotion-points").textContent);
  const targetOf = Object.fromEntries(emotionPoints.map((e) => [e.label, [e.valence, e.arousal]]));
  const state = { stream: null, job: null, plane: null, list: null, sources: [] };
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

  function renderPicture(job) {
    const prediction = job.prediction;
    const songs = (job.playlist && job.playlist.songs) || [];
    state.plane = renderPlane($(root, "plane"), {
      emotions: emotionPoints,
      start: prediction ? [prediction.valence, prediction.arousal] : null,
      target: job.target_point || targetOf[job.target_emotion] || null,
      targetLabel: job.target_emotion,
      songs,
      onSongHover: highlight,
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
      $(root, "result-text").textContent = job.text || "(Your text was erased after the retention period; the playlist stays.)";
      $(root, "result-target").textContent = job.target_emotion || "";
      if (job.prediction) renderBreakdown(job.prediction);
      renderPicture(job);
      $(root, "playlist-section").hidden = !job.playlist;
      const files = `/api/v1/playlists/${encodeURIComponent(job.job_id)}/playlist`;
      $(root, "download-m3u").href = `${files}.m3u`;
      $(root, "download-xspf").href = `${files}.xspf`;
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

  return {
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
      $(root, "status-line").textContent = STATUS_TEXT.queued;
      state.stream = new JobStream(jobId, { onJob: render, onConnection: connectionChanged }).start();
      // A handle for people debugging in the console (and the browser tests).
      window.spg = Object.assign(window.spg || {}, { stream: state.stream, view: state });
      return state.stream;
    },
  };
}
