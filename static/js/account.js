// "Your data": delete the whole history, delete the account (asks for the password). The download is a plain link.
import { clearErrors, setBusy, showErrors } from "./forms.js";
import { apiFetch, describeError, fieldErrors } from "./http.js";

const historyButton = document.getElementById("delete-history");
const historyStatus = document.getElementById("history-status");
const form = document.getElementById("delete-account-form");

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

historyButton.addEventListener("click", async () => {
  const count = Number(document.getElementById("count-playlists").textContent) || 0;
  if (!window.confirm(`Delete all your playlists (${count}) and everything you wrote in them? This cannot be undone.`)) return;
  setBusy(historyButton, true, "Deleting…");
  const response = await apiFetch("/api/v1/account/playlists/", { method: "DELETE" });
  setBusy(historyButton, false);
  historyStatus.classList.toggle("status-line--error", !response.ok);
  if (!response.ok) {
    historyStatus.textContent = describeError(response);
    return;
  }
  for (const id of ["count-playlists", "count-texts-kept", "count-texts-erased", "count-outcomes", "count-failure-records"]) {
    document.getElementById(id).textContent = "0";
  }
  historyStatus.textContent = `Deleted ${plural(response.data.playlists, "playlist")}.`;
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const password = form.elements.namedItem("password").value;
  if (!password) {
    showErrors(form, "", { password: "Enter your password to confirm." });
    return;
  }
  if (!window.confirm("Delete your account and everything in it? This cannot be undone.")) return;
  const button = document.getElementById("delete-account");
  setBusy(button, true, "Deleting…");
  const response = await apiFetch("/api/v1/account/delete/", { method: "POST", body: { password } });
  if (response.ok) {
    window.location.assign("/account/deleted/");
    return;
  }
  setBusy(button, false);
  if (response.status === 400) showErrors(form, "", fieldErrors(response.data));
  else showErrors(form, describeError(response));
});
