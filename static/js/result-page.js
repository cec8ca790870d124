// A saved or running playlist, opened by its address (e.g. from the history page).
import { createResultView } from "./result.js";

const root = document.getElementById("result");
createResultView(root).show(root.dataset.jobId);
