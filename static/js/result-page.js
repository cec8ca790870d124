// A saved or running playlist, opened by its address (e.g. from the history page), and deleting it.
import { apiFetch, describeError } from "./http.js";
import { createResultView } from "./result.js";

const root = document.getElementById("result");
const stream = createResultView(root).show(root.dataset.jobId);

const deleteButton = document.getElementById("delete-playlist");
deleteButton.addEventListener("click", async () => {
  if (!window.confirm("Delete this playlist and what you wrote? This cannot be undone.")) return;
  deleteButton.disabled = true;
  const response = await apiFetch(`/api/v1/playlists/${encodeURIComponent(root.dataset.jobId)}/`, { method: "DELETE" });
  if (response.ok || response.status === 404) {
    stream.stop(); // the server closes the job's sockets too
    window.location.assign("/history/?deleted=1");
    return;
  }
  deleteButton.disabled = false;
  const slot = document.getElementById("delete-error");
  slot.textContent = `We couldn't delete it. ${describeError(response)}`;
  slot.hidden = false;
});
