// "How are you feeling today?": validate, submit the job, then follow it live below the form.
import { apiFetch, describeError, fieldErrors } from "./http.js";
import { clearErrors, setBusy, showErrors } from "./forms.js";
import { createJourneyPicker } from "./journey.js";
import { createResultView } from "./result.js";

const form = document.getElementById("mood-form");
const text = document.getElementById("mood-text");
const count = document.getElementById("mood-text-count");
const button = document.getElementById("submit-mood");
const resultRoot = document.getElementById("result");
const view = createResultView(resultRoot);
const journey = createJourneyPicker(form, JSON.parse(document.getElementById("emotion-points").textContent));

const updateCount = () => {
  count.textContent = String(text.value.length);
};
text.addEventListener("input", updateCount);
updateCount();

function localProblems(data) {
  const fields = {};
  if (!data.text.trim()) fields.text = "Please write a few words about how you feel.";
  if (!journey.hasTarget()) fields.target_emotion = "Please pick how you'd like to feel, or click a goal on the plane.";
  const input = form.elements.namedItem("length");
  const [min, max] = [Number(input.min), Number(input.max)];
  if (!Number.isInteger(data.length) || data.length < min || data.length > max) fields.length = `Choose between ${min} and ${max} songs.`;
  return fields;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const data = {
    text: text.value,
    length: Number(form.elements.namedItem("length").value),
    ...journey.request(),
  };
  const problems = localProblems(data);
  if (Object.keys(problems).length) {
    showErrors(form, "", problems);
    return;
  }
  setBusy(button, true, "Sending…");
  const response = await apiFetch("/api/v1/playlists/", { method: "POST", body: data });
  setBusy(button, false);
  if (!response.ok || !response.data || !response.data.job_id) {
    const fields = response.status === 400 ? fieldErrors(response.data) : {};
    let message = describeError(response);
    if (response.status === 400 && Object.keys(fields).length) message = "";
    showErrors(form, message, fields);
    return;
  }
  view.show(response.data.job_id);
  document.getElementById("result-title").focus({ preventScroll: true });
  resultRoot.scrollIntoView({ behavior: "smooth", block: "start" });
});

// "Try again" after a failed job: back to the form, with what was typed still there.
document.getElementById("job-error-retry").addEventListener("click", (event) => {
  event.preventDefault();
  text.focus();
  form.scrollIntoView({ behavior: "smooth", block: "start" });
});
