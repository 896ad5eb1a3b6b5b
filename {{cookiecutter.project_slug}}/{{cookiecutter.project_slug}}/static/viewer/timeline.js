// The timeline: a bar chart of the file and its rotated siblings, lines per time bucket stacked by
// level in the page's level colours (P/timeline). Hover shows a bucket's counts; a click opens the
// log at the bucket's first line, marked (?at=); a drag over several bars narrows the chart to
// them (Esc or "whole file" widens it again). Live, the newest bar grows as lines arrive. A few
// lines of canvas: 2,000 bars of seven levels draw in about 7 ms without a GPU, no library to vendor.
// Needs: #timeline with data-url (P/timeline/<path>, level= included) and data-view, holding a <canvas>;
// it gets data-state (loading, drawn, empty, failed) and the chart's data-from, data-to, data-buckets.
import { log } from "./log-window.js";

const ORDER = ["none", "trace", "debug", "info", "warning", "error", "critical"];   // bottom to top
const AXIS = 16;            // CSS px under the bars for the time labels
const BAR_PX = 4;           // CSS px per bucket: the number asked for follows the chart's width
const DRAG_PX = 5;          // a press that moves less than this is a click
const EXACT_EVERY = 30000;  // ms: while lines arrive, the chart is asked again this often (the server's counts)
const LINE_LEVEL = /<div class="l" data-at="[^"]*"(?: data-level="(\w+)")?/g;   // a stream line, its level

function colours() {
  const style = getComputedStyle(document.documentElement);
  return Object.fromEntries(ORDER.map((level) => [level, style.getPropertyValue(`--level-${level}`).trim()]));
}

function label(iso, span) {
  const moment = new Date(iso);
  const seconds = span <= 600 ? { second: "2-digit" } : {};   // a short chart: its labels to the second
  const time = moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false, ...seconds });
  return span > 86400 ? `${moment.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}` : time;
}

function total(bucket) {
  return Object.values(bucket.counts).reduce((sum, n) => sum + n, 0);
}

function describe(bucket, seconds) {
  const counts = ORDER.filter((level) => bucket.counts[level]).reverse()
    .map((level) => `${bucket.counts[level]} ${level}`).join(" · ");
  return `${new Date(bucket.start).toLocaleString()} (+${seconds} s): ${counts || "no lines"}`;
}

export function startTimeline(element, openAt) {
  const canvas = element.querySelector("canvas");
  if (!canvas) return;
  const tip = element.appendChild(document.createElement("span"));
  tip.className = "tip";
  tip.hidden = true;
  const whole = element.appendChild(document.createElement("button"));
  whole.type = "button";
  whole.textContent = "whole file";
  whole.hidden = true;
  let chart = null;         // the last answer
  let narrowed = null;      // {from, to} of a drag
  let pressed = null;       // where a press started (CSS px)
  let loading = 0;

  const bucketAt = (x) => chart && chart.buckets.length
    ? Math.min(chart.buckets.length - 1, Math.max(0, Math.floor((x / canvas.clientWidth) * chart.buckets.length)))
    : -1;

  function draw() {
    const ratio = devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * ratio);
    canvas.height = Math.round(canvas.clientHeight * ratio);
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (!chart || !chart.buckets.length) {
      element.dataset.state = chart ? "empty" : "loading";
      return;
    }
    element.dataset.state = "drawn";
    const plot = canvas.height - Math.round(AXIS * ratio);
    const most = Math.max(1, ...chart.buckets.map(total));
    const width = canvas.width / chart.buckets.length;
    const gap = width >= 3 ? 1 : 0;
    const fill = colours();
    chart.buckets.forEach((bucket, i) => {
      const left = Math.floor(i * width);
      const right = Math.max(left + 1, Math.floor((i + 1) * width) - gap);
      let below = 0;
      for (const level of ORDER) {
        const n = bucket.counts[level];
        if (!n) continue;
        const bottom = plot - Math.round((below / most) * plot);
        below += n;
        const top = plot - Math.round((below / most) * plot);
        context.fillStyle = fill[level];
        context.fillRect(left, top, right - left, bottom - top);
      }
    });
    context.fillStyle = getComputedStyle(element).color;
    context.font = `${11 * ratio}px system-ui, sans-serif`;
    context.textBaseline = "bottom";
    const span = chart.bucket_seconds * chart.buckets.length;
    for (const [at, align] of [[0, "left"], [0.5, "center"], [1, "right"]]) {
      const i = Math.min(chart.buckets.length - 1, Math.floor(at * chart.buckets.length));
      context.textAlign = align;
      context.fillText(label(at === 1 ? chart.to : chart.buckets[i].start, span), at * canvas.width, canvas.height);
    }
  }

  async function load() {
    const asked = ++loading;
    const url = new URL(element.dataset.url, location.href);
    const count = Math.min(2000, Math.max(10, Math.floor(canvas.clientWidth / BAR_PX)));
    url.searchParams.set("buckets", count);
    if (narrowed) {
      url.searchParams.set("from", narrowed.from);
      url.searchParams.set("to", narrowed.to);
    }
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (asked !== loading) return;   // a newer request went out meanwhile
    if (!response.ok) {
      element.dataset.state = "failed";
      element.title = await response.text();
      return;
    }
    chart = await response.json();
    element.title = chart.note || "";
    Object.assign(element.dataset, { from: chart.from, to: chart.to, buckets: chart.buckets.length });
    whole.hidden = !narrowed;
    draw();
  }

  function narrow(from, to) {
    narrowed = from === null ? null : { from, to };
    load();
  }

  canvas.addEventListener("pointerdown", (event) => { pressed = event.offsetX; });
  canvas.addEventListener("pointerup", (event) => {
    if (pressed === null || !chart) return;
    const [first, last] = [bucketAt(Math.min(pressed, event.offsetX)), bucketAt(Math.max(pressed, event.offsetX))];
    const dragged = Math.abs(event.offsetX - pressed) >= DRAG_PX;
    pressed = null;
    if (dragged && last > first) {
      const end = new Date(new Date(chart.buckets[last].start).getTime() + chart.bucket_seconds * 1000 - 1000);
      narrow(chart.buckets[first].start, end.toISOString());
    } else if (first >= 0 && chart.buckets[first].at) {
      const at = chart.buckets[first].at;
      const url = new URL(element.dataset.view, location.href);
      url.searchParams.set("at", at);
      if (log.dataset.level) url.searchParams.set("level", log.dataset.level);
      if (!openAt) return location.assign(url);
      history.replaceState(null, "", url);
      openAt(at);
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    const i = bucketAt(event.offsetX);
    tip.hidden = i < 0;
    if (i < 0) return;
    tip.textContent = describe(chart.buckets[i], chart.bucket_seconds);
    tip.style.left = `${Math.min(event.offsetX, canvas.clientWidth - tip.offsetWidth)}px`;
  });
  canvas.addEventListener("pointerleave", () => { tip.hidden = true; });
  whole.addEventListener("click", () => narrow(null));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && narrowed) narrow(null);
  });

  // Live: a line the stream brings goes on the bar of now, a new one past the chart's end (until the
  // chart is asked again: at the first lines, the stream's backlog, then every EXACT_EVERY while lines come).
  let askAgain = 0;
  let drawing = 0;
  log.addEventListener("log-viewer:arrived", ({ detail: { html } }) => {
    if (!chart || !chart.buckets.length || narrowed) return;
    const now = Date.now();
    const width = chart.bucket_seconds * 1000;
    const i = Math.max(0, Math.floor((now - Date.parse(chart.from)) / width));
    if (now >= askAgain || i >= 2 * chart.buckets.length) {   // or so far past the end: the server's chart
      askAgain = now + EXACT_EVERY;
      load();
      return;
    }
    while (chart.buckets.length <= i) {
      const start = new Date(Date.parse(chart.from) + chart.buckets.length * width);
      chart.buckets.push({ start: start.toISOString(), at: null, counts: {} });
      chart.to = new Date(start.getTime() + width).toISOString();
    }
    const bucket = chart.buckets[i];
    for (const [, level] of html.matchAll(LINE_LEVEL)) {
      const name = level || "none";
      bucket.counts[name] = (bucket.counts[name] || 0) + 1;
    }
    if (!drawing) drawing = requestAnimationFrame(() => { drawing = 0; draw(); });
  });
  new ResizeObserver(() => (chart ? draw() : null)).observe(canvas);
  load();
}
