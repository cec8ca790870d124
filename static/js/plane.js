// The valence-arousal plane as inline SVG: the 13 emotions, where you are, where you want
// to be, and the playlist as a numbered path. Built with DOM calls: text is never parsed as markup.

const SVG = "http://www.w3.org/2000/svg";
const LEFT = 46; // room for the arousal axis labels
const TOP = 14;
const SPAN = 360; // the plotted square, -10..10 on both axes
const WIDTH = LEFT + SPAN + 14;
const HEIGHT = TOP + SPAN + 40; // room for the valence axis labels

export const x = (valence) => LEFT + ((Number(valence) + 10) / 20) * SPAN;
export const y = (arousal) => TOP + ((10 - Number(arousal)) / 20) * SPAN;

// The plane point (valence, arousal) under a pointer event, clamped to -10..10 and rounded to 0.25.
export function planePoint(svg, event) {
  const matrix = svg.getScreenCTM();
  if (!matrix) return null;
  const at = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
  const clamp = (v) => Math.round(Math.max(-10, Math.min(10, v)) * 4) / 4;
  return [clamp(((at.x - LEFT) / SPAN) * 20 - 10), clamp(10 - ((at.y - TOP) / SPAN) * 20)];
}

export function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function axes(svg) {
  svg.append(
    el("rect", { x: LEFT, y: TOP, width: SPAN, height: SPAN, class: "plane__frame", rx: 6 }),
    el("line", { x1: LEFT, y1: y(0), x2: LEFT + SPAN, y2: y(0), class: "plane__axis" }),
    el("line", { x1: x(0), y1: TOP, x2: x(0), y2: TOP + SPAN, class: "plane__axis" }),
    el("text", { x: LEFT, y: HEIGHT - 14, class: "plane__axis-label", "text-anchor": "start" }, "← unpleasant"),
    el("text", { x: LEFT + SPAN, y: HEIGHT - 14, class: "plane__axis-label", "text-anchor": "end" }, "pleasant →"),
    el("text", { x: x(0), y: HEIGHT - 14, class: "plane__axis-title", "text-anchor": "middle" }, "valence"),
  );
  const rotated = (text, at, anchor, cls = "plane__axis-label") =>
    el("text", { x: 0, y: 0, transform: `translate(24 ${at}) rotate(-90)`, class: cls, "text-anchor": anchor }, text);
  svg.append(
    rotated("← calm", TOP + SPAN, "start"),
    rotated("energetic →", TOP, "end"),
    rotated("arousal", y(0), "middle", "plane__axis-title"),
  );
}

// A label centred at (cx, ly), unless that would run off the plot's edge.
function label(cx, ly, text, cls) {
  const half = text.length * 3.3;
  let anchor = "middle";
  let lx = cx;
  if (cx + half > WIDTH - 2) [anchor, lx] = ["end", cx + 4];
  else if (cx - half < LEFT - 12) [anchor, lx] = ["start", cx - 4];
  return el("text", { x: lx, y: ly, "text-anchor": anchor, class: cls }, text);
}

// The 13 emotions. The target's label goes on the side of its ring away from the path (which arrives
// from the start point), so the last songs don't cover it; the others sit just above their point.
function emotionPoints(svg, emotions, targetLabel, start) {
  const group = el("g", { class: "plane__emotions", "aria-hidden": "true" });
  for (const e of emotions) {
    const [cx, cy] = [x(e.valence), y(e.arousal)];
    const isTarget = e.label === targetLabel;
    const below = isTarget && start && Number(start[1]) > Number(e.arousal);
    group.append(
      el("circle", { cx, cy, r: 3.5, class: "plane__emotion" }),
      label(cx, below ? cy + 26 : cy - (isTarget ? 16 : 7), e.label, isTarget ? "plane__emotion-label plane__emotion-label--target" : "plane__emotion-label"),
    );
  }
  svg.append(group);
}

// How sure the reading is, drawn around "you now": a translucent disc of `radius` plane units (clipped to
// the plotted square), with `label` as its text alternative. Ids are per page, as two planes may share one.
let halos = 0;
function haloAround(svg, start, { radius, label: text }) {
  const clip = `plane-halo-clip-${(halos += 1)}`;
  const defs = el("defs");
  const path = el("clipPath", { id: clip });
  path.append(el("rect", { x: LEFT, y: TOP, width: SPAN, height: SPAN, rx: 6 }));
  defs.append(path);
  const halo = el("g", { class: "plane__halo", role: "img", "aria-label": text, "clip-path": `url(#${clip})`, "data-radius": radius });
  halo.append(el("title", {}, text), el("circle", { cx: x(start[0]), cy: y(start[1]), r: (Number(radius) / 20) * SPAN }));
  svg.append(defs, halo);
}

// Renders the plane into container. Returns {highlight(index|null)}; onSongHover(index|null, source)
// is called when a song point is hovered (source "pointer") or focused ("focus"), and when that ends.
// waypoints: [[valence, arousal], ...] drawn as numbered diamonds; without songs, the planned route
// (start → waypoints → target) is drawn as a thin guide. halo: {radius (plane units), label} around start.
export function renderPlane(
  container,
  { emotions, start, target, targetLabel, songs = [], waypoints = [], halo = null, onSongHover = () => {} },
) {
  const svg = el("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "plane__svg",
    role: "group",
    "aria-label": "Valence-arousal plane: left is unpleasant, right pleasant, bottom calm, top energetic.",
  });
  axes(svg);
  if (start && halo && Number(halo.radius) > 0) haloAround(svg, start, halo);
  emotionPoints(svg, emotions, targetLabel, start);

  const line = (points, cls) => el("polyline", { points: points.map(([v, a]) => `${x(v)},${y(a)}`).join(" "), class: cls });
  if (songs.length) {
    svg.append(line([start, ...songs.map((s) => [s.valence, s.arousal])].filter(Boolean), "plane__path"));
  } else if (target && (start || waypoints.length)) {
    svg.append(line([start, ...waypoints, target].filter(Boolean), "plane__route"));
  }
  waypoints.forEach(([wv, wa], index) => {
    const [cx, cy] = [x(wv), y(wa)];
    const mark = el("g", { class: "plane__waypoint", "data-point": `waypoint-${index}` });
    mark.append(
      el("title", {}, `Waypoint ${index + 1} (${wv}, ${wa})`),
      el("rect", { x: cx - 8, y: cy - 8, width: 16, height: 16, transform: `rotate(45 ${cx} ${cy})` }),
      el("text", { x: cx, y: cy + 4, "text-anchor": "middle" }, String(index + 1)),
    );
    svg.append(mark);
  });
  if (target) {
    const [tv, ta] = target;
    // An emotion target has no text of its own: its emotion label (drawn bold) names it. A point does.
    svg.append(el("circle", { cx: x(tv), cy: y(ta), r: 11, class: "plane__target", "data-point": "target" }));
    if (!targetLabel) svg.append(label(x(tv), y(ta) - 16, "your goal", "plane__marker-label"));
  }
  if (start) {
    const [sx, sy] = [x(start[0]), y(start[1])];
    // The label sits on the side facing away from the path, so the songs don't cover it.
    const [tx, ty] = target ? [x(target[0]), y(target[1])] : [sx, sy - 1];
    const length = Math.hypot(tx - sx, ty - sy) || 1;
    const [dx, dy] = [(sx - tx) / length, (sy - ty) / length];
    const anchor = dx > 0.5 ? "start" : dx < -0.5 ? "end" : "middle";
    svg.append(
      el("circle", { cx: sx, cy: sy, r: 14, class: "plane__start", "data-point": "start" }),
      el("text", { x: sx + dx * 20, y: sy + dy * 24 + 4, "text-anchor": anchor, class: "plane__marker-label" }, "you now"),
    );
  }

  const songNodes = songs.map((song, index) => {
    const node = el("g", {
      class: "plane__song",
      tabindex: 0,
      role: "img",
      "data-index": index,
      "aria-label": `Song ${index + 1}: ${song.title || "Untitled"} by ${song.artist || "unknown artist"}`,
    });
    node.append(
      el("title", {}, `${index + 1}. ${song.title || "Untitled"} — ${song.artist || ""}`),
      el("circle", { cx: x(song.valence), cy: y(song.arousal), r: 9 }),
      el("text", { x: x(song.valence), y: y(song.arousal) + 3.5, "text-anchor": "middle" }, String(index + 1)),
    );
    node.addEventListener("mouseenter", () => onSongHover(index, "pointer"));
    node.addEventListener("mouseleave", () => onSongHover(null, "pointer"));
    node.addEventListener("focus", () => onSongHover(index, "focus"));
    node.addEventListener("blur", () => onSongHover(null, "focus"));
    svg.append(node);
    return node;
  });

  container.replaceChildren(svg);
  return {
    svg,
    highlight(index) {
      songNodes.forEach((node, i) => node.classList.toggle("is-active", i === index));
    },
  };
}

// Pointer handling on a rendered plane: dragging a marker ([data-point], or only those in `draggable`)
// calls onDrop(kind, point) with its data-point and the plane point where it was let go; a click
// elsewhere calls onClick(point). The marker follows the pointer while dragged.
export function enableDragging(svg, { onDrop, onClick = () => {}, draggable = null }) {
  let drag = null;
  const markerOf = (event) => {
    const marker = event.target.closest("[data-point]");
    return marker && (!draggable || draggable.includes(marker.dataset.point)) ? marker : null;
  };
  svg.addEventListener("pointerdown", (event) => {
    const marker = markerOf(event);
    if (!marker) return;
    event.preventDefault();
    svg.setPointerCapture(event.pointerId);
    drag = { marker, from: planePoint(svg, event), moved: false, startX: event.clientX, startY: event.clientY };
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const at = planePoint(svg, event);
    const scale = svg.viewBox.baseVal.width / svg.getBoundingClientRect().width;
    drag.moved ||= at[0] !== drag.from[0] || at[1] !== drag.from[1];
    const [dx, dy] = [(event.clientX - drag.startX) * scale, (event.clientY - drag.startY) * scale];
    drag.marker.setAttribute("transform", `translate(${dx} ${dy})`);
  });
  svg.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const { marker, moved } = drag;
    drag = null;
    if (moved) {
      svg.dataset.dragged = "1"; // the click that follows a drag is not a placement
      onDrop(marker.dataset.point, planePoint(svg, event));
    }
  });
  svg.addEventListener("click", (event) => {
    if (svg.dataset.dragged || markerOf(event)) return;
    const point = planePoint(svg, event);
    if (point) onClick(point);
  });
}
