// Talking to the JSON API: CSRF header, the error envelope, and plain-language messages.

export function csrfToken() {
  const match = document.cookie.split(";").map((part) => part.trim()).find((part) => part.startsWith("csrftoken="));
  return match ? decodeURIComponent(match.slice("csrftoken=".length)) : "";
}

// Returns {ok, status, data, retryAfter}. Never throws: a network failure is status 0.
export async function apiFetch(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, data: null, retryAfter: null };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null; // an HTML error page or an empty body: never shown to the person
  }
  const retryAfter = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  return { ok: response.ok, status: response.status, data, retryAfter: Number.isFinite(retryAfter) ? retryAfter : null };
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// One sentence a person can act on, for any failed response.
export function describeError({ status, data, retryAfter }) {
  const error = (data && data.error) || {};
  if (status === 0) return "We couldn't reach the server. Check your connection and try again.";
  if (status === 429) {
    const wait = retryAfter ? ` Please wait ${plural(retryAfter, "second")} and try again.` : " Please wait a moment and try again.";
    return `You're going a bit fast: too many requests.${wait}`;
  }
  if (status === 401) return "Your session has ended. Please log in again.";
  if (status === 403) return error.message && !/csrf/i.test(error.message) ? error.message : "That isn't allowed. Please reload the page and try again.";
  if (status === 404) return "We couldn't find that.";
  if (status >= 500) return "Something went wrong on our side. Please try again in a moment.";
  if (status === 400 && error.fields) return "Please check the highlighted fields.";
  return typeof error.message === "string" && error.message ? error.message : "Something went wrong. Please try again.";
}

// Field errors from the envelope as {field: "message"}.
export function fieldErrors(data) {
  const fields = (data && data.error && data.error.fields) || {};
  const out = {};
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) out[name] = value.map(String).join(" ");
    else if (value && typeof value === "object") out[name] = Object.values(value).flat().map(String).join(" ");
    else out[name] = String(value);
  }
  return out;
}
