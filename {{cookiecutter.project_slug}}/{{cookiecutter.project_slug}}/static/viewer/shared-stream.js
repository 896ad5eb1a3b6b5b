// One connection for the live streams of every viewer tab of this browser.
//
// A browser opens at most 6 HTTP/1.1 connections to a host, and an open event
// stream holds one: a 7th viewer tab would never load, nor would any other
// page of the service. So the tabs ask this shared worker to follow their file
// and it keeps ONE connection (P/streams), carrying every tab's stream, each
// with its own cursor. When a tab comes or goes, the connection is made again
// with every cursor: nothing lost, nothing repeated. Tabs say when they leave
// (pagehide), and a tab not heard of for a while (it crashed) is dropped.
// A module worker: connection.js starts it with {type: "module"}.
import { eventStream } from "./event-stream.js";

const SILENT_TAB_MS = 150000;   // hidden tabs' timers run once a minute at worst
const RETRY_STATUSES = [404, 429, 502, 503];  // the file or its node may come back; the server may have room
const tabs = new Map();         // id -> {port, path, level, cursor, seen}
let order = [];                 // tab ids of the open connection, by their index in it
let url = null;
let controller = null;
let timer = null;
let retryMs = 1000;
let backoff = 0;                // after the connection failed or ended
let missingBackoff = 0;         // while a subscription waits for its file

self.onconnect = (event) => {
  const port = event.ports[0];
  port.onmessage = (message) => receive(port, message.data);
};

function receive(port, message) {
  const tab = tabs.get(message.id);
  if (message.type === "follow") {
    tabs.set(message.id, { port, path: message.path, level: message.level, cursor: message.cursor, seen: Date.now() });
    url = message.url;
    missingBackoff = 0;
    again(0);
  } else if (message.type === "leave") {
    if (tabs.delete(message.id)) again(0);
  } else if (message.type === "alive" && tab) {
    tab.seen = Date.now();
  }
}

// Connect again soon; tabs opening together share one reconnection.
function again(delay) {
  clearTimeout(timer);
  timer = setTimeout(connect, delay + 20);
}

function tell(tab, message) {
  try {
    tab.port.postMessage(message);
  } catch (error) {
    // a closed tab's port: it is dropped at the next reconnection
  }
}

async function connect() {
  timer = null;
  if (controller) controller.abort();
  controller = null;
  const now = Date.now();
  for (const [id, tab] of tabs) if (now - tab.seen > SILENT_TAB_MS) tabs.delete(id);
  order = Array.from(tabs.keys());
  if (!order.length || !url) return;
  const query = new URLSearchParams();
  for (const id of order) {
    const tab = tabs.get(id);
    query.append("s", `${tab.level}:${tab.path}`);
    query.append("c", tab.cursor);
  }
  const mine = (controller = new AbortController());
  const joined = order.slice();
  try {
    const response = await fetch(`${url}?${query}`, {
      headers: { Accept: "text/event-stream" },
      credentials: "same-origin",
      cache: "no-store",
      signal: mine.signal,
    });
    if (!response.ok) {
      const text = (await response.text()).replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
      for (const id of joined) if (tabs.has(id)) tell(tabs.get(id), { type: "status", state: "reconnecting", text });
    } else {
      backoff = 0;
      for (const id of joined) if (tabs.has(id)) tell(tabs.get(id), { type: "status", state: "live" });
      for await (const event of eventStream(response)) {
        if (event.retry !== null) retryMs = event.retry;
        const id = joined[event.s];
        const tab = tabs.get(id);
        if (!tab) continue;
        if (event.id !== null) tab.cursor = event.id;
        const retrying = event.name === "failed" && RETRY_STATUSES.includes(parseInt(event.data, 10));
        if (retrying) {
          missingBackoff = Math.min(Math.max(2000, missingBackoff * 2), 30000);
          if (!timer) again(missingBackoff);  // the whole connection again, every cursor kept
        } else if (event.name === "failed") {
          tabs.delete(id);            // refused for good: its tab says why and stops
        }
        if (event.data !== null) {
          tell(tab, { type: "event", name: event.name, data: event.data, id: event.id, retrying });
        }
      }
    }
  } catch (error) {
    if (mine.signal.aborted) return;  // replaced by a newer connection
  }
  if (controller !== mine) return;
  for (const id of joined) if (tabs.has(id)) tell(tabs.get(id), { type: "status", state: "reconnecting" });
  backoff = Math.min(Math.max(retryMs, backoff * 2), 30000);
  again(backoff);
}
