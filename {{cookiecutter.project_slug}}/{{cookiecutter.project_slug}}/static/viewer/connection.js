// The live stream. Where the browser has SharedWorker, every viewer tab's stream travels on one
// connection that a shared worker keeps (shared-stream.js): a browser opens at most 6 connections
// to a host, and each open stream would hold one. Elsewhere htmx's SSE extension opens this page's
// own. Either way a stream that ends is resumed from the last event id: no line lost or repeated.
// Needs: #log with data-stream (data-streams and data-worker for the shared worker).
import { lines, log, notice } from "./log-window.js";
import { setStatus, statusState } from "./status.js";

// The server's named events: a marker in the log, and the indicator.
const NOTICES = {
  rotated: "file rotated: following the new file",
  truncated: "file truncated: following from its start",
  missing: "file missing: waiting for it to come back",
  refused: "file replaced by a link outside the log directory or by something not a file: stopped",
  reset: "position not found (its file was rotated away for good, or it is another file's): going on with the oldest lines still on disk",
  corrupt: "a rotated file could not be decompressed (corrupt, or cut short): going on with the next",
  unstamped: "a file's lines have no time stamps: they are merged as they arrive",
};

function received(html) {
  setStatus("live");
  lines(html);
}

function noticed(name) {
  if (!(name in NOTICES)) return;
  notice(NOTICES[name]);
  if (name === "missing") setStatus("missing", "file missing");
  else if (name === "refused") setStatus("closed", "stopped");
  else setStatus("live");
}

// A stream the server would not open ("404 no such log file"): retried, or refused for good.
function failed(text, retrying) {
  const sentence = text.replace(/^\d+ /, "");
  if (!retrying) setStatus("closed", sentence);
  else if (parseInt(text, 10) === 404) setStatus("missing", "file missing");
  else setStatus("reconnecting", sentence);
}

function shareStream() {
  const tabId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const port = new SharedWorker(log.dataset.worker, { name: "log-viewer", type: "module" }).port;
  let cursor = "";
  const subscribe = () => port.postMessage({
    type: "follow", id: tabId, url: log.dataset.streams,
    path: log.dataset.path || "", level: log.dataset.level || "", cursor,
  });
  port.onmessage = ({ data: message }) => {
    if (message.type === "status") {
      setStatus(message.state, message.text && `${message.state}: ${message.text}`);
    } else if (message.name === "failed") {
      failed(message.data, message.retrying);
    } else {
      if (message.id) cursor = message.id;
      if (message.name === "message") received(message.data);
      else noticed(message.name);
    }
  };
  subscribe();
  setInterval(() => port.postMessage({ type: "alive", id: tabId }), 20000);
  addEventListener("pagehide", () => port.postMessage({ type: "leave", id: tabId }));
  addEventListener("pageshow", (event) => { if (event.persisted) subscribe(); });   // back from the cache
}

// htmx parses the stream; the lines are placed here (the swap is taken over).
function htmxStream() {
  log.addEventListener("htmx:sse:before:connection", (event) => {
    const attempt = event.detail.connection && event.detail.connection.attempt;
    if (attempt > 0 && statusState() !== "missing") setStatus("reconnecting");
  });
  log.addEventListener("htmx:sse:after:connection", () => setStatus("live"));
  log.addEventListener("htmx:sse:error", (event) => {
    const code = event.detail && event.detail.status;
    setStatus(code === 404 ? "missing" : "reconnecting", code === 404 ? "file missing" : "reconnecting");
  });
  log.addEventListener("htmx:sse:close", () => setStatus("closed"));
  log.addEventListener("htmx:sse:before:message", (event) => {
    const message = event.detail.message;
    if (message.event === "failed") failed(message.data, true);  // a relayed stream's node went away
    if (message.event) return;          // named events are dispatched as DOM events
    event.detail.cancelled = true;
    received(message.data);
  });
  for (const name of Object.keys(NOTICES)) log.addEventListener(name, () => noticed(name));
  log.setAttribute("hx-sse:connect", log.dataset.stream);   // htmx connects as it starts, on DOMContentLoaded
}

export function connect() {
  if (window.SharedWorker && log.dataset.streams) shareStream();
  else htmxStream();
}
