// Shaping the journey on the home page: a plane to click (the target, waypoints, where you are now),
// markers to drag, and the pacing fields. request() gives the job API's journey fields.
import { enableDragging, renderPlane } from "./plane.js";

const MAX_WAYPOINTS = 3;
const number = (input) => (input.value.trim() === "" ? null : Number(input.value));

export function createJourneyPicker(form, emotionPoints) {
  const root = form.querySelector("#journey-plane");
  const summary = form.querySelector("#journey-summary");
  const pointOf = Object.fromEntries(emotionPoints.map((e) => [e.label, [e.valence, e.arousal]]));
  const state = { target: null, start: null, waypoints: [] }; // target: a free point, else the chosen emotion
  const chosenEmotion = () => form.querySelector('input[name="target_emotion"]:checked')?.value || null;
  const targetPoint = () => state.target || pointOf[chosenEmotion()] || null;
  const mode = () => form.querySelector("#plane-click").value;
  const show = ([v, a]) => `(${v}, ${a})`;

  function describe() {
    const parts = [state.target ? `Goal: the point ${show(state.target)}.` : `Goal: ${chosenEmotion() || "none yet"}.`];
    parts.push(state.start ? `You now: ${show(state.start)} (you placed it).` : "You now: where the reading of your words places you.");
    if (state.waypoints.length) parts.push(`Through ${state.waypoints.map(show).join(", then ")}.`);
    return parts.join(" ");
  }

  function draw() {
    const plane = renderPlane(root, {
      emotions: emotionPoints,
      start: state.start,
      target: targetPoint(),
      targetLabel: state.target ? null : chosenEmotion(),
      waypoints: state.waypoints,
    });
    // Click the plane to place (by the chosen mode); drag a marker to move it.
    enableDragging(plane.svg, { onDrop: place, onClick: (point) => place(mode(), point) });
    summary.textContent = describe();
    form.querySelector("#journey-clear-waypoints").disabled = !state.waypoints.length;
    form.querySelector("#journey-clear-start").disabled = !state.start;
  }

  function place(kind, point) {
    if (kind === "target") {
      state.target = point;
      for (const radio of form.querySelectorAll('input[name="target_emotion"]')) radio.checked = false;
    } else if (kind === "start") {
      state.start = point;
    } else if (kind.startsWith("waypoint-")) {
      state.waypoints[Number(kind.slice(9))] = point;
    } else if (kind === "waypoint") {
      if (state.waypoints.length >= MAX_WAYPOINTS) {
        summary.textContent = `At most ${MAX_WAYPOINTS} waypoints: remove them to start again.`;
        return;
      }
      state.waypoints.push(point);
    }
    draw();
  }

  form.querySelectorAll('input[name="target_emotion"]').forEach((radio) =>
    radio.addEventListener("change", () => {
      state.target = null;
      draw();
    }),
  );
  form.querySelector("#journey-clear-waypoints").addEventListener("click", () => {
    state.waypoints = [];
    draw();
  });
  form.querySelector("#journey-clear-start").addEventListener("click", () => {
    state.start = null;
    draw();
  });
  draw();

  return {
    hasTarget: () => Boolean(state.target || chosenEmotion()),
    // The journey fields of POST /api/v1/playlists/ (empty pacing fields are left to the server's defaults).
    request() {
      // A named goal goes as target_emotion, so the server's message for it lands beside the emotions.
      const body = state.target ? { target: state.target } : { target_emotion: chosenEmotion() || "" };
      if (state.start) body.start = state.start;
      if (state.waypoints.length) body.waypoints = state.waypoints;
      for (const name of ["stay", "max_step", "artist_cap", "seed"]) {
        const value = number(form.elements.namedItem(name));
        if (value !== null) body[name] = value;
      }
      return body;
    },
  };
}
