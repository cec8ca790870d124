// The "Log out" buttons: POST to the auth API (clears the JWT cookies and the session).
import { apiFetch, describeError } from "./http.js";

async function logOut(button) {
  button.disabled = true;
  const response = await apiFetch("/api/v1/auth/logout/", { method: "POST", body: {} });
  // 401/403 mean there was no session left to end: the person is logged out either way.
  if (response.ok || response.status === 401 || response.status === 403) {
    window.location.assign("/login/");
    return;
  }
  button.disabled = false;
  const slot = document.getElementById("global-error");
  slot.textContent = `We couldn't log you out. ${describeError(response)}`;
  slot.hidden = false;
}

for (const button of document.querySelectorAll("[data-logout]")) {
  button.addEventListener("click", () => logOut(button));
}
