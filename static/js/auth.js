// Login and signup forms: post to the JSON auth endpoints, show errors inline.
import { apiFetch, describeError, fieldErrors } from "./http.js";
import { clearErrors, setBusy, showErrors } from "./forms.js";

const form = document.getElementById("auth-form");

// Where to go after login: only somewhere on this site. The URL is parsed the way the browser will
// navigate it (tabs and newlines dropped, backslashes as slashes), and its origin must be ours.
function nextUrl() {
  try {
    const target = new URL(form.dataset.next || "/", window.location.origin);
    if (target.origin === window.location.origin) return target.pathname + target.search + target.hash;
  } catch {
    // not a URL at all
  }
  return "/";
}

function values() {
  const data = {};
  for (const [name, value] of new FormData(form)) {
    data[name] = name === "password" ? value : String(value).trim();
  }
  return data;
}

function missing(data) {
  const fields = {};
  for (const control of form.querySelectorAll("[required]")) {
    if (!data[control.name]) fields[control.name] = "This field is required.";
  }
  return fields;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const data = values();
  const empty = missing(data);
  if (Object.keys(empty).length) {
    showErrors(form, "", empty);
    return;
  }
  const button = form.querySelector("[type=submit]");
  setBusy(button, true, "Just a moment…");
  let response = await apiFetch(form.dataset.endpoint, { method: "POST", body: data });
  if (response.ok && form.dataset.thenLogin) {
    // Signup answers with the new account; some setups also log in, this makes sure.
    const me = await apiFetch("/api/v1/auth/me/");
    if (!me.ok) response = await apiFetch("/api/v1/auth/login/", { method: "POST", body: { username: data.username, password: data.password } });
  }
  if (response.ok) {
    window.location.assign(nextUrl());
    return;
  }
  setBusy(button, false);
  const fields = fieldErrors(response.data);
  const own = response.data && response.data.error && response.data.error.message;
  let message = describeError(response);
  if (response.status === 400 && Object.keys(fields).length) message = "";
  else if ((response.status === 400 || response.status === 401) && own) message = own; // e.g. wrong password
  showErrors(form, message, fields);
});
