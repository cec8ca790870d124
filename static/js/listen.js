// Listen links for a song: its own web link first, then a search per player chosen by the server's
// LISTEN_PLAYERS setting (given to the page as #listen-players). The search words are encoded exactly
// as apps/music/links.py does (RFC 3986: only A-Z a-z 0-9 - . _ ~ stay as they are), so the page, the
// exports and the API agree, and no quote, ampersand or emoji in a title can break a link.

let players = null;

export function listenPlayers() {
  if (players === null) {
    const data = document.getElementById("listen-players");
    players = data ? JSON.parse(data.textContent) : [];
  }
  return players;
}

const encode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

// An absolute http(s) link with a host, or null ("javascript:…", relative paths and the like are dropped).
export function webUrl(value) {
  if (typeof value !== "string" || !value || /[\s\x00-\x1f]/.test(value)) return null;
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname ? value : null;
  } catch {
    return null;
  }
}

export function listenLinks(song, chosen = listenPlayers()) {
  const links = [];
  const own = webUrl(song.url);
  if (own) links.push({ player: "own", name: "Listen", url: own });
  const words = [song.artist, song.title].map((part) => String(part || "").trim()).filter(Boolean).join(" ");
  for (const player of chosen) links.push({ player: player.key, name: player.name, url: player.search_url.replace("{query}", encode(words)) });
  return links;
}

export function bestLink(song) {
  const links = listenLinks(song);
  return links.length ? links[0].url : null;
}

// The links as a row of anchors, each opening in a new tab (the page stays where it is).
export function listenLinksElement(song) {
  const row = document.createElement("span");
  row.className = "song__links";
  for (const link of listenLinks(song)) {
    const anchor = document.createElement("a");
    anchor.className = "song__link";
    anchor.dataset.player = link.player;
    anchor.href = link.url;
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    anchor.textContent = link.name;
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = `${link.player === "own" ? "" : " for"} ${song.title || "this song"} (opens in a new tab)`;
    anchor.append(hidden);
    row.append(anchor);
  }
  return row;
}
