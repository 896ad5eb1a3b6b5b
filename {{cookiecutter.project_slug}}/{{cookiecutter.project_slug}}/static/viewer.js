// The log viewer's behaviour. htmx's SSE extension owns the connection
// (reconnect with backoff, Last-Event-ID); this file owns what happens to
// the lines: insertion, pause, filter, the line cap, autoscroll, the
// connection indicator, history: the page is a window of at most
// `lineCap` consecutive lines of the file, moved up and down by reading
// lines back from the server (P/lines) as the user scrolls, so any line of a
// file of any size can be reached while memory stays flat; and search, which
// shows the server's matches (P/search) as they come and opens each in
// context. No build step: edit and reload.
(() => {
  "use strict";

  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const filterBox = document.getElementById("filter");
  const regexBox = document.getElementById("regex");
  const caseBox = document.getElementById("case");
  const wrapBox = document.getElementById("wrap");
  const pauseButton = document.getElementById("pause");
  const liveButton = document.getElementById("live");
  const startButton = document.getElementById("start");
  const linesUrl = log.dataset.lines;   // absent for the demo stream: no history
  const viewUrl = log.dataset.view;

  // Lines kept in the page; older ones are dropped so memory stays flat.
  const lineCap = Number(log.dataset.lineCap) || 5000;
  const COLOUR = /^#[0-9a-f]{6}$/;

  let follow = true;          // keep the end in view while the user is at the bottom
  let paused = false;
  let held = [];              // stream fragments not shown: paused, or the window is elsewhere in the file
  let heldLines = 0;
  let arrived = 0;            // stream lines that came while the window was elsewhere
  let filter = null;          // RegExp, or null for "show everything"
  // The window: `attached` while its last line is the stream's newest; then
  // `adjoins` says whether `held` starts right after its last line.
  let attached = true;
  let adjoins = true;
  let atFirst = false;        // the window starts with the file's first line
  let loading = false;        // one history request at a time
  let overlap = false;        // the window's end was read back: the stream may send those lines again

  // --- the connection indicator ------------------------------------------
  function setStatus(state, text) {
    if (status.dataset.state === state && status.textContent === (text || state)) return;   // every event says "live"
    status.dataset.state = state;
    status.textContent = text || state;
  }

  // --- the live stream ----------------------------------------------------------
  // Where the browser has SharedWorker, every viewer tab's stream travels on one
  // connection that a shared worker keeps (shared-stream.js): a browser opens at
  // most 6 connections to a host, and each open stream would hold one. Elsewhere
  // htmx's SSE extension opens this page's own. Either way a stream that ends is
  // resumed from the last event id: no line lost or repeated.
  const streamUrl = log.dataset.stream;
  const tabId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

  function connect() {
    if (window.SharedWorker && log.dataset.streams) {
      shareStream();
    } else {
      log.setAttribute("hx-sse:connect", streamUrl);   // htmx connects as it starts, on DOMContentLoaded
    }
  }

  function shareStream() {
    const port = new SharedWorker(log.dataset.worker, { name: "log-viewer" }).port;
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
        if (message.name === "message") lines(message.data);
        else notice(message.name);
      }
    };
    subscribe();
    setInterval(() => port.postMessage({ type: "alive", id: tabId }), 20000);
    addEventListener("pagehide", () => port.postMessage({ type: "leave", id: tabId }));
    addEventListener("pageshow", (event) => { if (event.persisted) subscribe(); });   // back from the cache
  }

  // A stream the server would not open ("404 no such log file"): the worker retries it, or it was refused for good.
  function failed(text, retrying) {
    const sentence = text.replace(/^\d+ /, "");
    if (!retrying) setStatus("closed", sentence);
    else if (parseInt(text, 10) === 404) setStatus("missing", "file missing");
    else setStatus("reconnecting", sentence);
  }

  log.addEventListener("htmx:sse:before:connection", (event) => {
    const attempt = event.detail.connection && event.detail.connection.attempt;
    if (attempt > 0 && status.dataset.state !== "missing") setStatus("reconnecting");
  });
  log.addEventListener("htmx:sse:after:connection", () => setStatus("live"));
  log.addEventListener("htmx:sse:error", (event) => {
    const code = event.detail && event.detail.status;
    setStatus(code === 404 ? "missing" : "reconnecting", code === 404 ? "file missing" : "reconnecting");
  });
  log.addEventListener("htmx:sse:close", () => setStatus("closed"));

  // Named events from the server: a marker in the log, and the indicator.
  const notices = {
    rotated: "file rotated: following the new file",
    truncated: "file truncated: following from its start",
    missing: "file missing: waiting for it to come back",
    refused: "file replaced by a link outside the log directory or by something not a file: stopped",
    reset: "position not found (its file was rotated away for good, or it is another file's): going on with the oldest lines still on disk",
    corrupt: "a rotated file could not be decompressed (corrupt, or cut short): going on with the next",
  };

  function notice(name) {
    if (!(name in notices)) return;
    flush();                // the lines before it first
    const note = document.createElement("div");
    note.className = "marker";
    note.textContent = notices[name];
    overlap = false;        // positions start afresh: nothing after this was shown
    const fragment = document.createDocumentFragment();
    fragment.append(note);
    if (paused || !attached) hold(fragment);
    else insert([note]);
    if (name === "missing") setStatus("missing", "file missing");
    else if (name === "refused") setStatus("closed", "stopped");
    else setStatus("live");
  }
  for (const name of Object.keys(notices)) log.addEventListener(name, () => notice(name));

  // --- lines arriving ------------------------------------------------------
  // Lines to show wait for the next animation frame: one insertion (and one trim)
  // per frame however many events came. A frame lays out every line it adds and
  // every line kept (a slow machine: ~35 us and ~5 us each; with the parsing,
  // ~50 us per line built), so while following the page keeps few lines, and
  // builds few a frame. A burst of at most FRAME_LINES (what a slow machine
  // builds within a frame) is shown whole; a bigger one, or any lines while the
  // log is fast (a frame got more than two screenfuls within FAST_FOR), only as
  // the newest two screenfuls: the others would scroll past unseen within the
  // frame. The log counts as fast for a while, not frame by frame: at a few
  // thousand lines a second frames get more and fewer than two screenfuls in
  // turn, and each of the fewer would let the next build a whole burst. When
  // only the newest are built the window starts afresh with them. None is lost:
  // scrolling up reads the others back. While the log is fast the page builds
  // every other frame (FAST_FRAME apart): lines scroll past too fast to read
  // anyway, and the frames between stay free for scrolling and the machine.
  const FRAME_LINES = 250;
  const FAST_FOR = 500;       // ms
  const FAST_FRAME = 25;      // ms between two frames that build, while the log is fast
  const FOLLOW_WINDOW = 500;  // the lines kept while following the end
  let fastUntil = 0;          // when the log stops counting as fast (performance.now())
  let built = 0;              // when a frame last built lines
  let incoming = [];          // the data of events not yet shown, oldest first
  let incomingLines = 0;
  let frame = 0;

  function lines(html) {
    setStatus("live");
    if (attached && !follow && log.childElementCount >= lineCap) {
      attached = false;       // the user reads above: keep the window still, count what comes
    }
    if (overlap || paused || !attached) {
      flush();
      const fragment = parse(html);
      if (overlap) overlap = dropShown(fragment);
      if (paused || !attached) hold(fragment);
      else insert(Array.from(fragment.children));
      return;
    }
    let count = html ? 1 : 0;
    for (let at = html.indexOf("\n"); at >= 0; at = html.indexOf("\n", at + 1)) count += 1;
    incoming.push({ html, count });
    incomingLines += count;
    while (incoming.length > 1 && incomingLines - incoming[0].count >= lineCap) {
      incomingLines -= incoming.shift().count;   // all of the page would be replaced by newer lines anyway
      atFirst = false;
    }
    if (!frame) frame = requestAnimationFrame(onFrame);
  }

  function onFrame() {
    const now = performance.now();
    if (now < fastUntil && now - built < FAST_FRAME) {
      frame = requestAnimationFrame(onFrame);   // the next frame builds
      return;
    }
    built = now;
    flush(now);
  }

  function flush(now = performance.now()) {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (!incoming.length) return;
    const count = incomingLines;
    const screens = Math.max(100, 2 * seenAtTheEnd);
    const frameLines = now < fastUntil || count > FRAME_LINES ? screens : FRAME_LINES;
    if (count > screens) fastUntil = now + FAST_FOR;
    let html;
    if (follow && count > frameLines) {
      // Faster than a frame can build: the newest lines only, and the window starts with them
      // (one run of lines); all the others are read back when the user scrolls up.
      html = newest(incoming, frameLines);
      log.replaceChildren();
      atFirst = false;
    } else {
      html = incoming.map((event) => event.html).join("\n");
    }
    incoming = [];
    incomingLines = 0;
    insert(Array.from(parse(html).children));
  }

  // The last `wanted` lines of the events' data, cut from the newest events only (no copy of the rest).
  function newest(events, wanted) {
    const parts = [];
    for (let i = events.length - 1; i >= 0 && wanted > 0; i -= 1) {
      const { html, count } = events[i];
      if (count <= wanted) {
        parts.push(html);
        wanted -= count;
        continue;
      }
      let at = html.length;
      for (let left = wanted; left > 0; left -= 1) at = html.lastIndexOf("\n", at - 1);
      parts.push(html.slice(at + 1));
      wanted = 0;
    }
    return parts.reverse().join("\n");
  }

  // Take over the swap: htmx parses the stream, we place the lines.
  log.addEventListener("htmx:sse:before:message", (event) => {
    const message = event.detail.message;
    if (message.event === "failed") failed(message.data, true);  // a relayed stream's node went away
    if (message.event) return;          // named events are dispatched as DOM events
    event.detail.cancelled = true;
    lines(message.data);
  });

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html;         // server-escaped lines and colour spans only
    return template.content;
  }

  function colour(line) {
    // 256-colour and truecolour values come as data attributes (CSP forbids inline styles).
    if (!line.firstElementChild) return;
    for (const span of line.querySelectorAll("[data-fg],[data-bg]")) {
      if (COLOUR.test(span.dataset.fg || "")) span.style.color = span.dataset.fg;
      if (COLOUR.test(span.dataset.bg || "")) span.style.backgroundColor = span.dataset.bg;
    }
  }

  // Structure (spans for keys and values) is for the eye: lines a burst scrolls past unseen
  // get it only if they are scrolled into view (structureInView).
  function prepare(line, seen = true) {
    colour(line);
    if (seen) structure(line);
    applyFilter(line);
  }

  // --- structure: JSON and logfmt lines get their keys and values styled ---------------
  // The element's text stays the raw line: only spans are added. A long value is folded
  // (CSS); a click on the line opens it whole, pretty-printed, in the detail panel.
  const JSON_TOKENS = /"(?:[^"\\]|\\.)*"(?=\s*:)|"(?:[^"\\]|\\.)*"/g;   // a key, or a string value
  const LOGFMT_TOKENS = /([\w.-]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)/g;
  const LONG_VALUE = 80;

  function kindOf(text) {
    if (text.startsWith("{") && text.trimEnd().endsWith("}")) return "json";
    return /^[\w.-]+=/.test(text) ? "logfmt" : null;
  }

  function span(className, text) {
    const element = document.createElement("span");
    element.className = text.length > LONG_VALUE ? `${className} long` : className;
    element.textContent = text;
    return element;
  }

  function structure(line) {
    if (line.structured) return;
    line.structured = true;
    if (!line.classList.contains("l") || line.firstElementChild) return;   // ANSI-styled lines stay as they are
    const text = line.textContent;
    const kind = kindOf(text);
    if (!kind) return;
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(kind === "json" ? JSON_TOKENS : LOGFMT_TOKENS)) {
      parts.push(text.slice(last, match.index));
      if (kind === "json") {
        const key = text.slice(match.index + match[0].length).trimStart().startsWith(":");
        parts.push(span(key ? "k" : "v", match[0]));
      } else {
        parts.push(span("k", match[1]), "=", span("v", match[2]));
      }
      last = match.index + match[0].length;
    }
    parts.push(text.slice(last));
    line.replaceChildren(...parts);
    line.dataset.kind = kind;
  }

  // The fields of a structured line, as an object (logfmt values unquoted).
  function fieldsOf(line) {
    const text = line.textContent;
    if (line.dataset.kind === "json") return JSON.parse(text);
    const fields = {};
    for (const [, key, value] of text.matchAll(LOGFMT_TOKENS)) {
      fields[key] = value.startsWith('"') ? JSON.parse(value) : value;
    }
    return fields;
  }

  const detail = document.getElementById("detail");
  const detailText = document.getElementById("detail-text");
  let detailLine = "";

  function openDetail(line) {
    detailLine = line.textContent;
    try {
      detailText.textContent = JSON.stringify(fieldsOf(line), null, 2);
    } catch {
      detailText.textContent = detailLine;   // not valid JSON after all: the line as it is
    }
    detail.hidden = false;
  }

  function copy(text) {
    if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
  }

  document.getElementById("copy-line").addEventListener("click", () => copy(detailLine));
  document.getElementById("copy-pretty").addEventListener("click", () => copy(detailText.textContent));
  document.getElementById("detail-close").addEventListener("click", () => { detail.hidden = true; });

  // The lines at the end of a burst that stay in view: about a screenful (13px lines, at least 15px tall).
  let seenAtTheEnd = 100;
  new ResizeObserver(() => { seenAtTheEnd = Math.ceil(log.clientHeight / 15) + 1; }).observe(log);

  function prepared(lines, seenFrom = 0) {
    const fragment = document.createDocumentFragment();
    lines.forEach((line, index) => {
      prepare(line, index >= seenFrom);
      fragment.append(line);
    });
    return fragment;
  }

  function insert(lines) {
    log.append(prepared(lines, lines.length - seenAtTheEnd));
    trimTop();
    if (follow) log.scrollTop = log.scrollHeight;
    else showLive();
  }

  // Drop lines beyond the cap at the top (reading on) or at the bottom (reading back). While the
  // page follows the live end it keeps fewer (FOLLOW_WINDOW): each frame lays out every line kept,
  // and scrolling up reads the older ones back, up to the cap.
  function trimTop() {
    const excess = log.childElementCount - (follow ? Math.min(FOLLOW_WINDOW, lineCap) : lineCap);
    if (excess <= 0) return;
    const before = follow ? 0 : log.scrollHeight;   // a layout, only when the view must stay put
    const range = document.createRange();
    range.setStartBefore(log.firstChild);
    range.setEndAfter(log.children[excess - 1]);
    range.deleteContents();
    atFirst = false;
    if (!follow) log.scrollTop -= before - log.scrollHeight;   // what the user reads stays put
  }

  function trimBottom() {
    const excess = log.childElementCount - lineCap;
    if (excess <= 0) return;
    const range = document.createRange();
    range.setStartBefore(log.children[log.childElementCount - excess]);
    range.setEndAfter(log.lastChild);
    range.deleteContents();
    attached = adjoins = false;   // the lines dropped are not in `held`: read them back to reach live
    showLive();
  }

  // --- pause -----------------------------------------------------------------
  function hold(fragment) {
    held.push(fragment);
    heldLines += fragment.childElementCount;
    if (!attached) arrived += fragment.childElementCount;
    // Keep no more than the cap: older lines would be trimmed anyway, and history reaches them.
    while (held.length > 1 && heldLines - held[0].childElementCount >= lineCap) {
      heldLines -= held.shift().childElementCount;
      adjoins = false;
    }
    if (paused) pauseButton.textContent = `Resume (${heldLines} new)`;
    if (!attached) showLive();
  }

  function takeHeld() {
    const lines = held.flatMap((fragment) => Array.from(fragment.children));
    held = [];
    heldLines = 0;
    return lines;
  }

  function setPaused(value) {
    paused = value;
    pauseButton.setAttribute("aria-pressed", String(paused));
    if (paused) {
      pauseButton.textContent = "Resume (0 new)";
      return;
    }
    pauseButton.textContent = "Pause";
    if (attached) insert(takeHeld());
  }

  pauseButton.addEventListener("click", () => setPaused(!paused));

  // --- autoscroll ------------------------------------------------------------
  function showLive() {
    liveButton.hidden = false;
    liveButton.textContent = arrived ? `Jump to live \u2193 (${arrived} new, End)` : "Jump to live \u2193 (End)";
  }

  function jumpToLive() {
    if (attached || adjoins) return toTheEnd();
    // The window is elsewhere in the file: show its last lines, then what the stream kept after them.
    // The lines in between stay readable by scrolling up.
    return reading("bottom", async () => {
      const found = await fetchLines({ limit: PAGE });
      log.replaceChildren(prepared(found.lines));
      atFirst = false;
      toTheEnd();
    });
  }

  function toTheEnd() {
    if (!attached) rejoin();
    follow = true;
    liveButton.hidden = true;
    trimTop();
    log.scrollTop = log.scrollHeight;
  }

  // The lines on screen get their structure if a burst left them without (prepare).
  let structuring = 0;
  function structureInView() {
    structuring = 0;
    const box = log.getBoundingClientRect();
    const children = log.children;
    let low = 0;                // the first child that reaches into view (a binary search: they are in order)
    let high = children.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (children[middle].getBoundingClientRect().bottom <= box.top) low = middle + 1;
      else high = middle;
    }
    for (let line = children[low]; line && line.getBoundingClientRect().top < box.bottom; line = line.nextElementSibling) {
      structure(line);
    }
  }

  log.addEventListener("scroll", () => {
    if (!structuring) structuring = requestAnimationFrame(structureInView);
    follow = attached && log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    if (follow) liveButton.hidden = true;
    if (log.scrollTop < log.clientHeight) readUp();
    else if (!attached && log.scrollTop + 2 * log.clientHeight >= log.scrollHeight) readDown();
  });
  liveButton.addEventListener("click", jumpToLive);

  // --- history: reading back and on --------------------------------------------
  const PAGE = 200;                  // lines per request

  // Our own data-at format (inode-offset-check~back): which file, which byte.
  function positionOf(line) {
    const [inode, offset, rest = ""] = (line.dataset.at || "").split("-");
    const back = rest.includes("~") ? parseInt(rest.split("~")[1], 16) : 0;
    return { inode, at: parseInt(offset, 16) - back };
  }

  function firstLine() {
    let line = log.firstElementChild;
    while (line && !line.classList.contains("l")) line = line.nextElementSibling;
    return line;
  }

  function lastLine(parent = log) {
    let line = parent.lastElementChild;
    while (line && !line.classList.contains("l")) line = line.previousElementSibling;
    return line;
  }

  // Stream lines the window already shows (read back before the stream caught up) are not shown
  // twice; true while every line of `fragment` was one of them.
  function dropShown(fragment) {
    const shown = lastLine();
    if (!shown) return false;
    const end = positionOf(shown);
    for (const line of Array.from(fragment.children)) {
      if (!line.classList.contains("l")) continue;
      const place = positionOf(line);
      if (place.inode !== end.inode || place.at > end.at) return false;
      line.remove();
    }
    return true;
  }

  function marker(text, kind = "") {
    const element = document.createElement("div");
    element.className = `marker ${kind}`.trim();
    element.textContent = text;
    return element;
  }

  // The sentence of an error page (werkzeug's <p>), or the status.
  async function refusal(response) {
    const sentence = parse(await response.text()).querySelector("p");
    return new Error(sentence ? sentence.textContent : `${response.status} ${response.statusText}`);
  }

  async function fetchLines(query) {
    if (log.dataset.level) query = { ...query, level: log.dataset.level };   // the page's level filter
    const response = await fetch(`${linesUrl}?${new URLSearchParams(query)}`, { headers: { Accept: "text/html" } });
    if (!response.ok) throw await refusal(response);
    const text = await response.text();
    return {
      lines: Array.from(parse(text).children),
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

  function startOf(found) {
    atFirst = true;
    return marker(`start of ${found.file}`, "edge");
  }

  function readUp() {
    if (atFirst) return;
    return reading("top", async () => {
      const first = firstLine();
      if (!first) return;
      const found = await fetchLines({ before: first.dataset.at, limit: PAGE });
      const height = log.scrollHeight;
      const lines = prepared(found.lines);
      if (found.first || !found.lines.length) lines.prepend(startOf(found));
      log.prepend(lines);
      log.scrollTop += log.scrollHeight - height;   // what the user reads stays put
      trimBottom();
    });
  }

  function readDown() {
    return reading("bottom", async () => {
      if (attached) return;
      if (adjoins) return rejoin();
      const last = lastLine();
      if (!last) return;
      const found = await fetchLines({ from: last.dataset.at, limit: PAGE + 1 });
      log.append(prepared(found.lines.slice(1)));
      trimTop();
      if (found.last || reachedHeld()) rejoin();
    });
  }

  // The window's last line is at or past the first line the stream kept: show the rest, live again.
  function reachedHeld() {
    const first = held.length && held[0].firstElementChild;
    const last = lastLine();
    if (!first || !last || !first.classList.contains("l")) return false;
    const [mine, theirs] = [positionOf(last), positionOf(first)];
    return mine.inode === theirs.inode && mine.at >= theirs.at;
  }

  function rejoin() {
    const lines = takeHeld();
    const fragment = prepared(lines);
    overlap = dropShown(fragment);
    log.append(fragment);
    attached = adjoins = true;
    arrived = 0;
    liveButton.hidden = true;
    trimTop();
  }

  function jumpToStart() {
    return reading("top", async () => {
      const found = await fetchLines({ from: "start", limit: PAGE });
      detach();
      const lines = prepared(found.lines);
      lines.prepend(startOf(found));
      log.replaceChildren(lines);
      log.scrollTop = 0;
      if (found.last) rejoin();
    });
  }

  function detach() {
    attached = adjoins = follow = false;
    showLive();
  }

  // ?at=: the line in view and marked, lines before and after it; live again at the end.
  function openAt(at) {
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
        log.replaceChildren(marker(`${error.message}. Showing the live end instead.`, "error"));
        log.append(prepared(found.lines));
        toTheEnd();
        return;
      }
      const lines = prepared([...before.lines, ...from.lines]);
      if (before.first) lines.prepend(startOf(before));
      log.replaceChildren(lines);
      const target = from.lines[0];
      if (target) {
        mark(target);
        target.scrollIntoView({ block: "center" });
      }
      if (from.last) rejoin();
    });
  }

  function mark(line, within = log) {
    for (const current of within.querySelectorAll('[aria-current="true"]')) current.removeAttribute("aria-current");
    line.setAttribute("aria-current", "true");
  }

  // Every line's permalink: a click in its gutter marks it, puts the link in the address bar and the clipboard.
  // A click elsewhere on a structured line (and no text being selected) opens it in the detail panel.
  log.addEventListener("click", (event) => {
    const line = event.target.closest(".l");
    if (!line) return;
    const inGutter = event.target === line && event.offsetX <= parseFloat(getComputedStyle(line).paddingLeft);
    if (!inGutter || !viewUrl) {
      if (line.dataset.kind && !String(getSelection())) openDetail(line);
      return;
    }
    const url = new URL(`${viewUrl}?at=${encodeURIComponent(line.dataset.at)}`, location.href).href;
    history.replaceState(null, "", url);
    mark(line);
    copy(url);
  });

  log.addEventListener("wheel", (event) => {
    if (event.deltaY < 0 && log.scrollTop === 0) readUp();
  });
  if (startButton) startButton.addEventListener("click", jumpToStart);
  if (linesUrl && log.dataset.at) openAt(log.dataset.at);
  connect();

  // --- filter ----------------------------------------------------------------
  // A RegExp for text, literal unless `regex`; null when it does not compile.
  function pattern(text, regex, matchCase) {
    try {
      return new RegExp(regex ? text : text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), matchCase ? "g" : "gi");
    } catch {
      return null;
    }
  }

  function compileFilter() {
    const text = filterBox.value;
    if (!text) {
      filterBox.classList.remove("invalid");
      return null;
    }
    const compiled = pattern(text, regexBox.checked, caseBox.checked);
    filterBox.classList.toggle("invalid", !compiled);    // an unfinished regex shows everything
    return compiled;
  }

  function unmark(line) {
    for (const mark of line.querySelectorAll("mark")) mark.replaceWith(mark.textContent);
    line.normalize();
  }

  function applyFilter(line) {
    if (!line.classList.contains("l")) return;   // markers always show
    if (line.querySelector("mark")) unmark(line);
    if (!filter) {
      line.hidden = false;
      return;
    }
    filter.lastIndex = 0;
    line.hidden = !filter.test(line.textContent);
    if (!line.hidden) highlight(line, filter);
  }

  function highlight(line, filter) {
    // Wrap matches inside each text node; a match across colour spans stays unmarked.
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const text = node.data;
      filter.lastIndex = 0;
      let match, last = 0;
      const parts = [];
      while ((match = filter.exec(text)) && match[0]) {
        parts.push(text.slice(last, match.index));
        const mark = document.createElement("mark");
        mark.textContent = match[0];
        parts.push(mark);
        last = match.index + match[0].length;
      }
      if (parts.length) {
        parts.push(text.slice(last));
        node.replaceWith(...parts);
      }
    }
  }

  function refilter() {
    filter = compileFilter();
    for (const line of log.children) applyFilter(line);
    if (follow) log.scrollTop = log.scrollHeight;
  }

  filterBox.addEventListener("input", refilter);
  regexBox.addEventListener("change", refilter);
  caseBox.addEventListener("change", refilter);
  wrapBox.addEventListener("change", () => log.classList.toggle("wrap", wrapBox.checked));

  // --- levels at a glance: counts for the lines on the page, and a mark where each serious one is
  const summary = document.getElementById("level-summary");
  const minimap = document.getElementById("minimap");
  const SERIOUS = ["critical", "error", "warning"];
  let glancing = false;

  function glance() {
    if (glancing) return;
    glancing = true;
    requestAnimationFrame(() => {
      glancing = false;
      drawGlance();
    });
  }

  function drawGlance() {
    const counts = Object.fromEntries(SERIOUS.map((level) => [level, 0]));
    const marks = document.createDocumentFragment();
    const placed = new Set();
    const height = log.scrollHeight || 1;
    for (const line of log.querySelectorAll(".l[data-level]")) {
      const level = line.dataset.level;
      if (!(level in counts)) continue;
      counts[level] += 1;
      const top = Math.round((1000 * line.offsetTop) / height) / 10;   // a mark per level per 0.1 % of the height
      if (placed.has(`${level}${top}`)) continue;
      placed.add(`${level}${top}`);
      const mark = document.createElement("button");
      mark.type = "button";
      mark.className = "mark";
      mark.dataset.level = level;
      mark.title = line.textContent.slice(0, 200);
      mark.style.top = `${top}%`;
      mark.addEventListener("click", () => line.scrollIntoView({ block: "center" }));
      marks.append(mark);
    }
    minimap.replaceChildren(marks);
    summary.textContent = SERIOUS.filter((level) => counts[level]).map((level) => `${counts[level]} ${level}`).join(" · ");
    summary.hidden = !summary.textContent;
  }

  new MutationObserver(glance).observe(log, { childList: true });

  // --- search: the whole file and its rotated siblings, on the server --------------
  // fetch() rather than EventSource: an EventSource reconnects when the stream ends (the
  // search would run again) and cannot read a 400's sentence.
  const searchForm = document.getElementById("search");
  const queryBox = document.getElementById("query");
  const results = document.getElementById("results");
  const hits = document.getElementById("hits");
  const searchProgress = document.getElementById("search-progress");
  const searchCount = document.getElementById("search-count");
  const searchNotes = document.getElementById("search-notes");
  const stopButton = document.getElementById("search-stop");
  let searching = null;       // the running search's AbortController
  let found = 0;
  let foundIn = null;         // the file of the last match shown

  function counted(text) {
    searchCount.textContent = text;
  }

  function plural(n, word) {
    return `${n.toLocaleString()} ${word}${n === 1 ? "" : "es"}`;
  }

  function megabytes(bytes) {
    return `${(bytes / 1e6).toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`;
  }

  // Each match becomes a link to its line in context, under a heading per file.
  function showHits(html, highlighter) {
    const fragment = document.createDocumentFragment();
    for (const line of Array.from(parse(html).children)) {
      const file = searchForm.dataset.node + line.dataset.file;   // another node's: @node/path
      if (file !== foundIn) {
        const heading = document.createElement("div");
        heading.className = "file";
        heading.textContent = foundIn = file;
        fragment.append(heading);
      }
      colour(line);
      if (highlighter) highlight(line, highlighter);
      const hit = document.createElement(file.endsWith(".gz") ? "div" : "a");
      hit.className = "hit";
      hit.dataset.file = file;
      if (file.endsWith(".gz")) {
        hit.title = "in a compressed file: download it to read around this line";
      } else {
        const path = file.split("/").map(encodeURIComponent).join("/").replace(/^%40/, "@");
        hit.href = `${searchForm.dataset.views}${path}?at=${encodeURIComponent(line.dataset.at)}`;
      }
      hit.append(line);
      fragment.append(hit);
      found += 1;
    }
    hits.append(fragment);
    counted(plural(found, "match"));
  }

  function finished(summary) {
    searchProgress.value = searchProgress.max;
    const scanned = `${megabytes(summary.scanned)} searched`;
    counted(summary.truncated
      ? `first ${plural(summary.matches, "match")} (the limit), ${scanned}`
      : `${plural(summary.matches, "match")}, ${scanned}`);
    for (const note of summary.notes || []) searchNotes.append(marker(note, "error"));
  }

  function stopSearch() {
    if (!searching) return;
    searching.abort();
    searching = null;
    stopButton.hidden = true;
    counted(`${searchCount.textContent} (stopped)`);
  }

  async function runSearch() {
    stopSearch();
    const query = new URLSearchParams(new FormData(searchForm));
    if (!query.get("q")) return;
    const controller = new AbortController();
    searching = controller;
    found = 0;
    foundIn = null;
    hits.replaceChildren();
    searchNotes.replaceChildren();
    searchProgress.value = 0;
    results.hidden = false;
    stopButton.hidden = false;
    counted("searching\u2026");
    const highlighter = pattern(query.get("q"), query.has("regex"), query.has("case"));
    try {
      const response = await fetch(`${searchForm.dataset.url}?${query}`, {
        signal: controller.signal,
        headers: { Accept: "text/event-stream" },
      });
      if (!response.ok) throw await refusal(response);
      for await (const message of self.eventStream(response)) {
        if (message.name === "message") showHits(message.data, highlighter);
        else if (message.name === "progress") {
          const { scanned, total } = JSON.parse(message.data);
          searchProgress.max = Math.max(total, 1);
          searchProgress.value = scanned;
        } else if (message.name === "done") finished(JSON.parse(message.data));
      }
    } catch (error) {
      if (error.name !== "AbortError") searchNotes.append(marker(error.message, "error"));
    } finally {
      if (searching === controller) {
        searching = null;
        stopButton.hidden = true;
      }
    }
  }

  function closeResults() {
    stopSearch();
    results.hidden = true;
  }

  const levelSelect = document.getElementById("level");
  if (levelSelect) levelSelect.addEventListener("change", () => levelSelect.form.submit());

  if (searchForm) {
    searchForm.addEventListener("submit", (event) => {
      event.preventDefault();
      runSearch();
    });
    stopButton.addEventListener("click", stopSearch);
    document.getElementById("search-close").addEventListener("click", closeResults);
    // A match in this very file opens in this page (the stream stays open); others load their own page.
    hits.addEventListener("click", (event) => {
      const hit = event.target.closest("a.hit");
      if (!hit || hit.dataset.file !== searchForm.dataset.file) return;
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      mark(hit, hits);
      history.replaceState(null, "", hit.href);
      openAt(hit.firstElementChild.dataset.at);
    });
  }

  // --- keyboard ----------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    const target = event.target instanceof Element ? event.target : document.body;
    const typing = target.matches("input[type=search]");   // a toggle takes keys but not text
    if ((event.key === "/" || event.key === "f") && !typing) {
      event.preventDefault();
      (event.key === "/" && queryBox ? queryBox : filterBox).focus();
    } else if (event.key === " " && !target.matches("input, button")) {
      event.preventDefault();
      setPaused(!paused);
    } else if ((event.key === "End" || event.key === "G") && !typing) {
      event.preventDefault();
      jumpToLive();
    } else if ((event.key === "Home" || event.key === "g") && !typing && linesUrl) {
      event.preventDefault();
      jumpToStart();
    } else if (event.key === "Escape" && typing) {
      event.target.blur();
    } else if (event.key === "Escape" && results && !results.hidden) {
      closeResults();
    }
  });
})();
