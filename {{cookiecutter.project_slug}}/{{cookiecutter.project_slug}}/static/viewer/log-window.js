// The log window: the page shows at most `lineCap` consecutive lines of the file, moved up and
// down by history.js as the user scrolls, so any line of a file of any size can be reached while
// memory stays flat. This module owns the window's state (where it is in the file, whether it
// follows the live end, pause, the stream's lines not shown yet); others read it through `view`
// and change it through the functions below. It tells the page what it did, with two DOM events
// on #log that a site's own script may listen to:
//   log-viewer:lines   lines were put in the log; detail.lines: the new elements, in file order
//   log-viewer:window  the window's state changed; detail: {following, paused, held, arrived}
//   log-viewer:arrived an event of the stream came, shown or not; detail.html: its lines' HTML
// Needs: #log, with data-line-cap.
import { colour, marker, parse } from "./dom.js";

export const log = document.getElementById("log");
export const lineCap = Number(log.dataset.lineCap);

const state = {
  follow: true,     // keep the end in view while the user is at the bottom
  paused: false,
  attached: true,   // the window's last line is the stream's newest
  adjoins: true,    // (not attached) the lines held start right after the window's last line
  atFirst: false,   // the window starts with the file's first line
  overlap: false,   // the window's end was read back: the stream may send those lines again
  away: false,      // the user is away from the live end (the live button shows)
  arrived: 0,       // stream lines that came while the window was elsewhere
};
let held = [];      // stream fragments not shown: paused, or the window is elsewhere in the file
let heldLines = 0;

export const view = {
  get following() { return state.follow; },
  get paused() { return state.paused; },
  get attached() { return state.attached; },
  get adjoins() { return state.adjoins; },
  get atFirst() { return state.atFirst; },
};

function changed() {
  const detail = { following: !state.away, paused: state.paused, held: heldLines, arrived: state.arrived };
  log.dispatchEvent(new CustomEvent("log-viewer:window", { detail }));
}

function announce(lines) {
  if (lines.length) log.dispatchEvent(new CustomEvent("log-viewer:lines", { detail: { lines } }));
}

// --- preparing lines: each feature that styles or hides lines registers here ----------------
// A burst's lines that scroll past unseen are prepared with seen = false: costly work (structure)
// waits until they are scrolled into view.
const preparers = [colour];

export function onLine(prepare) {
  preparers.push(prepare);
}

function prepared(lines, seenFrom = 0) {
  const fragment = document.createDocumentFragment();
  lines.forEach((line, index) => {
    for (const prepare of preparers) prepare(line, index >= seenFrom);
    fragment.append(line);
  });
  return fragment;
}

// --- lines arriving from the stream --------------------------------------------------------
// Lines to show wait for the next animation frame: one insertion (and one trim) per frame
// however many events came. A frame lays out every line it adds and every line kept (a slow
// machine: ~35 us and ~5 us each; with the parsing, ~50 us per line built), so while following
// the page keeps few lines, and builds few a frame. A burst of at most FRAME_LINES (what a slow
// machine builds within a frame) is shown whole; a bigger one, or any lines while the log is fast
// (a frame got more than two screenfuls within FAST_FOR), only as the newest two screenfuls: the
// others would scroll past unseen within the frame. The log counts as fast for a while, not frame
// by frame: at a few thousand lines a second frames get more and fewer than two screenfuls in
// turn, and each of the fewer would let the next build a whole burst. When only the newest are
// built the window starts afresh with them. None is lost: scrolling up reads the others back.
// While the log is fast the page builds every other frame (FAST_FRAME apart): lines scroll past
// too fast to read anyway, and the frames between stay free for scrolling and the machine.
const FRAME_LINES = 250;
const FAST_FOR = 500;       // ms
const FAST_FRAME = 25;      // ms between two frames that build, while the log is fast
const FOLLOW_WINDOW = 500;  // the lines kept while following the end
let fastUntil = 0;          // when the log stops counting as fast (performance.now())
let built = 0;              // when a frame last built lines
let incoming = [];          // the data of events not yet shown, oldest first
let incomingLines = 0;
let frame = 0;

// The lines at the end of a burst that stay in view: about a screenful (13px lines, at least 15px tall).
let seenAtTheEnd = 100;
new ResizeObserver(() => { seenAtTheEnd = Math.ceil(log.clientHeight / 15) + 1; }).observe(log);

// An event's lines (the server's HTML, one element per line).
export function lines(html) {
  log.dispatchEvent(new CustomEvent("log-viewer:arrived", { detail: { html } }));
  if (state.attached && !state.follow && log.childElementCount >= lineCap) {
    state.attached = false;   // the user reads above: keep the window still, count what comes
  }
  if (state.overlap || state.paused || !state.attached) {
    flush();
    const fragment = parse(html);
    if (state.overlap) state.overlap = dropShown(fragment);
    if (state.paused || !state.attached) hold(fragment);
    else insert(Array.from(fragment.children));
    return;
  }
  let count = html ? 1 : 0;
  for (let at = html.indexOf("\n"); at >= 0; at = html.indexOf("\n", at + 1)) count += 1;
  incoming.push({ html, count });
  incomingLines += count;
  while (incoming.length > 1 && incomingLines - incoming[0].count >= lineCap) {
    incomingLines -= incoming.shift().count;   // all of the page would be replaced by newer lines anyway
    state.atFirst = false;
  }
  if (!frame) frame = requestAnimationFrame(onFrame);
}

// A note from the stream (a rotation, a missing file), in its place among the lines.
export function notice(text) {
  flush();                      // the lines before it first
  const note = marker(text);
  state.overlap = false;        // positions start afresh: nothing after this was shown
  if (state.paused || !state.attached) {
    const fragment = document.createDocumentFragment();
    fragment.append(note);
    hold(fragment);
  } else {
    insert([note]);
  }
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
  if (state.follow && count > frameLines) {
    // Faster than a frame can build: the newest lines only, and the window starts with them
    // (one run of lines); all the others are read back when the user scrolls up.
    html = newest(incoming, frameLines);
    log.replaceChildren();
    state.atFirst = false;
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

function insert(lines) {
  log.append(prepared(lines, lines.length - seenAtTheEnd));
  announce(lines);
  trimTop();
  if (state.follow) log.scrollTop = log.scrollHeight;
  else showLive();
}

// Drop lines beyond the cap at the top (reading on) or at the bottom (reading back). While the
// page follows the live end it keeps fewer (FOLLOW_WINDOW): each frame lays out every line kept,
// and scrolling up reads the older ones back, up to the cap.
function trimTop() {
  const excess = log.childElementCount - (state.follow ? Math.min(FOLLOW_WINDOW, lineCap) : lineCap);
  if (excess <= 0) return;
  const before = state.follow ? 0 : log.scrollHeight;   // a layout, only when the view must stay put
  const range = document.createRange();
  range.setStartBefore(log.firstChild);
  range.setEndAfter(log.children[excess - 1]);
  range.deleteContents();
  state.atFirst = false;
  if (!state.follow) log.scrollTop -= before - log.scrollHeight;   // what the user reads stays put
}

function trimBottom() {
  const excess = log.childElementCount - lineCap;
  if (excess <= 0) return;
  const range = document.createRange();
  range.setStartBefore(log.children[log.childElementCount - excess]);
  range.setEndAfter(log.lastChild);
  range.deleteContents();
  state.attached = state.adjoins = false;   // the lines dropped are not in `held`: read them back to reach live
  showLive();
}

// --- pause, and lines kept while the window is elsewhere -------------------------------------
function hold(fragment) {
  held.push(fragment);
  heldLines += fragment.childElementCount;
  if (!state.attached) state.arrived += fragment.childElementCount;
  // Keep no more than the cap: older lines would be trimmed anyway, and history reaches them.
  while (held.length > 1 && heldLines - held[0].childElementCount >= lineCap) {
    heldLines -= held.shift().childElementCount;
    state.adjoins = false;
  }
  if (!state.attached) showLive();
  else changed();
}

function takeHeld() {
  const lines = held.flatMap((fragment) => Array.from(fragment.children));
  held = [];
  heldLines = 0;
  return lines;
}

export function setPaused(paused) {
  state.paused = paused;
  if (!paused && state.attached) insert(takeHeld());
  changed();
}

// --- the live end ---------------------------------------------------------------------------
function showLive() {
  state.away = true;
  changed();
}

function hideLive() {
  state.away = false;
  changed();
}

// Show the live end and follow it (the window must adjoin the stream: see history.js's jumpToLive).
export function toTheEnd() {
  if (!state.attached) rejoin();
  state.follow = true;
  hideLive();
  trimTop();
  log.scrollTop = log.scrollHeight;
}

// The window's last line is at or past the lines the stream kept: show them, live again.
export function rejoin() {
  const fragment = prepared(takeHeld());
  const added = Array.from(fragment.children);
  state.overlap = dropShown(fragment);
  log.append(fragment);
  announce(added.filter((line) => line.isConnected));
  state.attached = state.adjoins = true;
  state.arrived = 0;
  hideLive();
  trimTop();
}

// The window leaves the live end (history reads elsewhere in the file).
export function detach() {
  state.attached = state.adjoins = state.follow = false;
  showLive();
}

log.addEventListener("scroll", () => {
  state.follow = state.attached && log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  if (state.follow && state.away) hideLive();
});

// --- positions: which line of which file -------------------------------------------------------
// Our own data-at format (inode-offset-check~back): which file, which byte.
export function positionOf(line) {
  const [inode, offset, rest = ""] = (line.dataset.at || "").split("-");
  const back = rest.includes("~") ? parseInt(rest.split("~")[1], 16) : 0;
  return { inode, at: parseInt(offset, 16) - back };
}

export function firstLine() {
  let line = log.firstElementChild;
  while (line && !line.classList.contains("l")) line = line.nextElementSibling;
  return line;
}

export function lastLine() {
  let line = log.lastElementChild;
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

// The window's last line is at or past the first line the stream kept.
function reachedHeld() {
  const first = held.length && held[0].firstElementChild;
  const last = lastLine();
  if (!first || !last || !first.classList.contains("l")) return false;
  const [mine, theirs] = [positionOf(last), positionOf(first)];
  return mine.inode === theirs.inode && mine.at >= theirs.at;
}

// --- lines read back (history.js) ---------------------------------------------------------------
// `head`: a marker to put before them; `first`: they start the file.

export function showAbove(lines, { head = null, first = false } = {}) {
  const height = log.scrollHeight;
  const fragment = prepared(lines);
  if (head) fragment.prepend(head);
  if (first) state.atFirst = true;
  log.prepend(fragment);
  announce(lines);
  log.scrollTop += log.scrollHeight - height;   // what the user reads stays put
  trimBottom();
}

export function showBelow(lines, { last = false } = {}) {
  log.append(prepared(lines));
  announce(lines);
  trimTop();
  if (last || reachedHeld()) rejoin();
}

export function showInstead(lines, { head = null, first = false, last = false } = {}) {
  const fragment = prepared(lines);
  if (head) fragment.prepend(head);
  state.atFirst = first;
  log.replaceChildren(fragment);
  announce(lines);
  if (last) rejoin();
}
