// History: reading the file back and on (P/lines) as the user scrolls, from its first line to the
// live end; ?at= (a permalink) opens the window at a line, marked. Needs: #log with data-lines
// (absent for the demo stream: no history); the start button (#start) is optional.
import { markCurrent, marker, parse, refusal } from "./dom.js";
import {
  detach, firstLine, lastLine, log, rejoin, showAbove, showBelow, showInstead, toTheEnd, view,
} from "./log-window.js";

const PAGE = 200;                  // lines per request
const linesUrl = log.dataset.lines;
let loading = false;               // one request at a time

async function fetchLines(query) {
  if (log.dataset.level) query = { ...query, level: log.dataset.level };   // the page's level filter
  const url = new URL(linesUrl, location.href);   // its own query too: files= of a merged page
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await fetch(url, { headers: { Accept: "text/html" } });
  if (!response.ok) throw await refusal(response);
  return {
    lines: Array.from(parse(await response.text()).children),
    first: response.headers.get("X-Log-First") === "1",
    last: response.headers.get("X-Log-Last") === "1",
    file: response.headers.get("X-Log-File"),
  };
}

// Guarded: one request at a time; a failure is shown as a marker, never thrown.
async function reading(where, task) {
  if (!linesUrl || loading) return;
  loading = true;
  try {
    await task();
  } catch (error) {
    const note = marker(error.message, "error");
    if (where === "top") log.prepend(note);
    else log.append(note);
  } finally {
    loading = false;
  }
}

function startOf(found) {   // a merged page's answer names no one file: it reached the start of all
  return marker(found.file ? `start of ${found.file}` : "start of every file", "edge");
}

function readUp() {
  if (view.atFirst) return;
  return reading("top", async () => {
    const first = firstLine();
    if (!first) return;
    const found = await fetchLines({ before: first.dataset.at, limit: PAGE });
    const starts = found.first || !found.lines.length;
    showAbove(found.lines, { head: starts ? startOf(found) : null, first: starts });
  });
}

function readDown() {
  return reading("bottom", async () => {
    if (view.attached) return;
    if (view.adjoins) return rejoin();
    const last = lastLine();
    if (!last) return;
    const found = await fetchLines({ from: last.dataset.at, limit: PAGE + 1 });
    showBelow(found.lines.slice(1), { last: found.last });
  });
}

export function jumpToStart() {
  return reading("top", async () => {
    const found = await fetchLines({ from: "start", limit: PAGE });
    detach();
    showInstead(found.lines, { head: startOf(found), first: true, last: found.last });
    log.scrollTop = 0;
  });
}

// The live end, followed. A window elsewhere in the file shows the file's last lines, then what
// the stream kept after them; the lines in between stay readable by scrolling up.
export function jumpToLive() {
  if (view.attached || view.adjoins || !linesUrl) return toTheEnd();
  return reading("bottom", async () => {
    const found = await fetchLines({ limit: PAGE });
    showInstead(found.lines);
    toTheEnd();
  });
}

// ?at=: the line in view and marked, lines before and after it; live again at the end.
export function openAt(at) {
  detach();
  return reading("bottom", async () => {
    let before, from;
    try {
      [before, from] = await Promise.all([
        fetchLines({ before: at, limit: PAGE / 2 }),
        fetchLines({ from: at, limit: PAGE / 2 }),
      ]);
    } catch (error) {
      const found = await fetchLines({ limit: PAGE });
      showInstead(found.lines, { head: marker(`${error.message}. Showing the live end instead.`, "error") });
      toTheEnd();
      return;
    }
    showInstead([...before.lines, ...from.lines], {
      head: before.first ? startOf(before) : null, first: before.first, last: from.last,
    });
    const target = from.lines[0];
    if (target) {
      markCurrent(target, log);
      target.scrollIntoView({ block: "center" });
    }
  });
}

export function startHistory() {
  log.addEventListener("scroll", () => {
    if (log.scrollTop < log.clientHeight) readUp();
    else if (!view.attached && log.scrollTop + 2 * log.clientHeight >= log.scrollHeight) readDown();
  });
  log.addEventListener("wheel", (event) => {
    if (event.deltaY < 0 && log.scrollTop === 0) readUp();
  });
  if (log.dataset.at) openAt(log.dataset.at);
}

export function startStartButton(button) {
  button.addEventListener("click", jumpToStart);
}
