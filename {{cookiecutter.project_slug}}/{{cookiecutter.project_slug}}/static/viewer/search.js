// Search: the whole file and its rotated siblings, on the server (P/search), its matches shown
// as they come, each a link to its line in context. fetch() rather than EventSource: an
// EventSource reconnects when the stream ends (the search would run again) and cannot read a
// 400's sentence. Needs: #search (the form, with data-url, data-views, data-file, data-node) and
// #hits; #results (the pane), #query, #search-progress, #search-count, #search-notes,
// #search-stop and #search-close are optional.
import { colour, markCurrent, marker, parse, refusal } from "./dom.js";
import { eventStream } from "./event-stream.js";
import { openAt } from "./history.js";
import { bindKey } from "./keys.js";
import { highlight, pattern } from "./pattern.js";

const element = (id) => document.getElementById(id);
const COMPRESSED = /\.(gz|bz2|xz|zst)$/;   // family.py's compressions: read whole, not opened at a line

function plural(n, word) {
  return `${n.toLocaleString()} ${word}${n === 1 ? "" : "es"}`;
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`;
}

export function startSearch(form, hits) {
  const pane = element("results") || hits;
  const progress = element("search-progress");
  const count = element("search-count");
  const notes = element("search-notes") || hits;
  const stopButton = element("search-stop");
  const closeButton = element("search-close");
  const queryBox = element("query");
  let running = null;         // the running search's AbortController
  let found = 0;
  let foundIn = null;         // the file of the last match shown

  const counted = (text) => { if (count) count.textContent = text; };
  const stopShown = (shown) => { if (stopButton) stopButton.hidden = !shown; };

  // Each match becomes a link to its line in context, under a heading per file.
  function show(html, highlighter) {
    const fragment = document.createDocumentFragment();
    for (const line of Array.from(parse(html).children)) {
      const file = form.dataset.node + line.dataset.file;   // another node's: @node/path
      if (file !== foundIn) {
        const heading = document.createElement("div");
        heading.className = "file";
        heading.textContent = foundIn = file;
        fragment.append(heading);
      }
      colour(line);
      if (highlighter) highlight(line, highlighter);
      const compressed = COMPRESSED.test(file);
      const hit = document.createElement(compressed ? "div" : "a");
      hit.className = "hit";
      hit.dataset.file = file;
      if (compressed) {
        hit.title = "in a compressed file: download it to read around this line";
      } else {
        const path = file.split("/").map(encodeURIComponent).join("/").replace(/^%40/, "@");
        hit.href = `${form.dataset.views}${path}?at=${encodeURIComponent(line.dataset.at)}`;
      }
      hit.append(line);
      fragment.append(hit);
      found += 1;
    }
    hits.append(fragment);
    counted(plural(found, "match"));
  }

  function finished(summary) {
    if (progress) progress.value = progress.max;
    const scanned = `${megabytes(summary.scanned)} searched`;
    counted(summary.truncated
      ? `first ${plural(summary.matches, "match")} (the limit), ${scanned}`
      : `${plural(summary.matches, "match")}, ${scanned}`);
    for (const note of summary.notes || []) notes.append(marker(note, "error"));
  }

  function stop() {
    if (!running) return;
    running.abort();
    running = null;
    stopShown(false);
    if (count) counted(`${count.textContent} (stopped)`);
  }

  async function run() {
    stop();
    const query = new URLSearchParams(new FormData(form));
    if (!query.get("q")) return;
    const controller = (running = new AbortController());
    found = 0;
    foundIn = null;
    hits.replaceChildren();
    if (notes !== hits) notes.replaceChildren();
    if (progress) progress.value = 0;
    pane.hidden = false;
    stopShown(true);
    counted("searching\u2026");
    const highlighter = pattern(query.get("q"), query.has("regex"), query.has("case"));
    try {
      const response = await fetch(`${form.dataset.url}?${query}`, {
        signal: controller.signal,
        headers: { Accept: "text/event-stream" },
      });
      if (!response.ok) throw await refusal(response);
      for await (const message of eventStream(response)) {
        if (message.name === "message") show(message.data, highlighter);
        else if (message.name === "progress" && progress) {
          const { scanned, total } = JSON.parse(message.data);
          progress.max = Math.max(total, 1);
          progress.value = scanned;
        } else if (message.name === "done") finished(JSON.parse(message.data));
      }
    } catch (error) {
      if (error.name !== "AbortError") notes.append(marker(error.message, "error"));
    } finally {
      if (running === controller) {
        running = null;
        stopShown(false);
      }
    }
  }

  function close() {
    stop();
    pane.hidden = true;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  if (stopButton) stopButton.addEventListener("click", stop);
  if (closeButton) closeButton.addEventListener("click", close);
  if (queryBox) bindKey(["/"], () => queryBox.focus());
  bindKey(["Escape"], () => (pane.hidden ? false : close()));
  // A match in this very file opens in this page (the stream stays open); others load their own page.
  hits.addEventListener("click", (event) => {
    const hit = event.target.closest("a.hit");
    if (!hit || hit.dataset.file !== form.dataset.file) return;
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    markCurrent(hit, hits);
    history.replaceState(null, "", hit.href);
    openAt(hit.firstElementChild.dataset.at);
  });
}
