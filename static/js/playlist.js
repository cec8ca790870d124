// The playlist as an ordered list, each song with its listen links; copy and download as JSON
// (the .m3u and .xspf files come from the API).

import { bestLink, listenLinksElement } from "./listen.js";

export function renderPlaylist(list, songs, { onSongHover = () => {} } = {}) {
  const items = songs.map((song, index) => {
    const item = document.createElement("li");
    item.className = "song";
    item.tabIndex = 0;
    item.dataset.index = String(index);

    const number = document.createElement("span");
    number.className = "song__number";
    number.setAttribute("aria-hidden", "true");
    number.textContent = String(index + 1);

    const text = document.createElement("span");
    text.className = "song__text";
    const title = document.createElement("span");
    title.className = "song__title";
    title.textContent = song.title || "Untitled";
    const artist = document.createElement("span");
    artist.className = "song__artist";
    artist.textContent = song.artist || "Unknown artist";
    text.append(title, artist);
    item.append(number, text);

    item.append(listenLinksElement(song));
    item.addEventListener("mouseenter", () => onSongHover(index, "pointer"));
    item.addEventListener("mouseleave", () => onSongHover(null, "pointer"));
    item.addEventListener("focusin", () => onSongHover(index, "focus"));
    item.addEventListener("focusout", (event) => {
      if (!item.contains(event.relatedTarget)) onSongHover(null, "focus");
    });
    return item;
  });
  list.replaceChildren(...items);
  return {
    highlight(index) {
      items.forEach((item, i) => item.classList.toggle("is-active", i === index));
    },
  };
}

export function playlistAsText(songs) {
  return songs
    .map((song, i) => {
      const href = bestLink(song);
      return `${i + 1}. ${song.title || "Untitled"} — ${song.artist || "Unknown artist"}${href ? ` (${href})` : ""}`;
    })
    .join("\n");
}

export function download(filename, content, type) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (permissions, insecure context): the older way.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
