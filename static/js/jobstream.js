// Follows one job: its WebSocket first, reconnecting with ?last_seq= when the socket drops;
// polling the status endpoint with backoff only when WebSockets are unavailable.
import { apiFetch } from "./http.js";

const TERMINAL = new Set(["completed", "failed"]);
const MAX_FAILED_OPENS = 3; // sockets that never opened, in a row, before falling back to polling

export class JobStream {
  // onJob(job, source): every new state (seq higher than any seen), source "socket" or "poll".
  // onConnection(state, detail): "live" | "reconnecting" | "polling" | "unauthenticated" | "not_found" | "closed".
  constructor(jobId, { onJob, onConnection }) {
    this.jobId = jobId;
    this.onJob = onJob;
    this.onConnection = onConnection;
    this.lastSeq = null;
    this.socket = null;
    this.connections = 0; // sockets opened so far (the first has no last_seq)
    this.failedOpens = 0;
    this.retryDelay = 500;
    this.stopped = false;
    this.finished = false;
    this.refreshed = false; // a token refresh was tried since the last message arrived
    this.timer = null;
    this.mode = "socket";
  }

  start() {
    if (typeof window.WebSocket !== "function") this.startPolling("unsupported");
    else this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000, "done");
  }

  socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const query = this.lastSeq === null ? "" : `?last_seq=${encodeURIComponent(this.lastSeq)}`;
    return `${scheme}//${window.location.host}/ws/jobs/${encodeURIComponent(this.jobId)}/${query}`;
  }

  accept(job, source) {
    if (!job || typeof job.seq !== "number") return;
    if (this.lastSeq !== null && job.seq <= this.lastSeq) return; // already seen
    this.lastSeq = job.seq;
    if (TERMINAL.has(job.status)) this.finished = true;
    this.onJob(job, source);
  }

  connect() {
    if (this.stopped || this.finished) return;
    let opened = false;
    let socket;
    try {
      socket = new WebSocket(this.socketUrl());
    } catch {
      this.startPolling("unsupported");
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      opened = true;
      this.connections += 1;
      this.failedOpens = 0;
      this.retryDelay = 500;
      this.onConnection("live", { reconnect: this.connections > 1, lastSeq: this.lastSeq });
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      // The server accepts before it refuses (4401), so only a message proves the socket was authenticated.
      this.refreshed = false;
      const job = event.job ? { ...event.job, seq: event.seq ?? event.job.seq } : null;
      this.accept(job, "socket");
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped || this.finished) {
        this.onConnection("closed", {});
        return;
      }
      if (event.code === 4401) {
        // The access token lapsed (the server ends sockets at its expiry): refresh it once, then reconnect.
        if (this.refreshed) return this.onConnection("unauthenticated", {});
        this.refreshed = true;
        this.refreshAndReconnect();
        return;
      }
      if (event.code === 4404) return this.onConnection("not_found", {});
      if (!opened) this.failedOpens += 1;
      if (this.failedOpens >= MAX_FAILED_OPENS) {
        this.startPolling("unavailable");
        return;
      }
      this.onConnection("reconnecting", { delay: this.retryDelay, code: event.code });
      this.timer = setTimeout(() => this.connect(), this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, 8000);
    });
  }

  async refreshAndReconnect() {
    // Whatever the refresh answers, try once more: the Django session may still carry the socket.
    // A second 4401 in a row ends the stream with "please log in again".
    await apiFetch("/api/v1/auth/refresh/", { method: "POST", body: {} });
    this.connect();
  }

  startPolling(reason) {
    if (this.stopped || this.finished) return;
    this.mode = "poll";
    this.onConnection("polling", { reason });
    let delay = 1000;
    const poll = async () => {
      if (this.stopped || this.finished) return;
      const response = await apiFetch(`/api/v1/jobs/${encodeURIComponent(this.jobId)}/`);
      if (response.ok) this.accept(response.data, "poll");
      else if (response.status === 401 || response.status === 403) return this.onConnection("unauthenticated", {});
      else if (response.status === 404) return this.onConnection("not_found", {});
      if (this.finished || this.stopped) return;
      delay = response.status === 429 && response.retryAfter ? response.retryAfter * 1000 : Math.min(delay * 1.6, 15000);
      this.timer = setTimeout(poll, delay);
    };
    poll();
  }
}
