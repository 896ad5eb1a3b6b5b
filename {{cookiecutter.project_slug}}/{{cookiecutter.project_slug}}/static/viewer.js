// The log viewer's behaviour. htmx's SSE extension owns the connection
// (reconnect with backoff, Last-Event-ID); this file owns what happens to
// the lines: insertion, pause, filter, the line cap, autoscroll and the
// connection indicator. No build step: edit and reload.
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

  // Lines kept in the page; older ones are dropped so memory stays flat.
  const lineCap = Number(log.dataset.lineCap) || 5000;
  const COLOUR = /^#[0-9a-f]{6}$/;

  let follow = true;          // keep the end in view while the user is at the bottom
  let paused = false;
  let held = [];              // fragments received while paused
  let heldLines = 0;
  let filter = null;          // RegExp, or null for "show everything"

  // --- the connection indicator ------------------------------------------
  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text || state;
  }

  // A stream that ends (a worker restarting, a network blip) is retried with
  // backoff; htmx sends the last event id, so no line is lost or repeated.
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
    reset: "position not found in this file (rotated away, or another file's): showing it from its start",
  };
  for (const [name, text] of Object.entries(notices)) {
    log.addEventListener(name, () => {
      const marker = document.createElement("div");
      marker.className = "marker";
      marker.textContent = text;
      insert([marker]);
      if (name === "missing") setStatus("missing", "file missing");
      else if (name === "refused") setStatus("closed", "stopped");
      else setStatus("live");
    });
  }

  // --- lines arriving ------------------------------------------------------
  // Take over the swap: htmx parses the stream, we place the lines.
  log.addEventListener("htmx:sse:before:message", (event) => {
    const message = event.detail.message;
    if (message.event) return;          // named events are dispatched as DOM events
    event.detail.cancelled = true;
    setStatus("live");
    const fragment = parse(message.data);
    if (paused) {
      hold(fragment);
    } else {
      insert(Array.from(fragment.children));
    }
  });

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html;         // server-escaped lines and colour spans only
    return template.content;
  }

  function prepare(line) {
    // 256-colour and truecolour values come as data attributes (CSP forbids inline styles).
    for (const span of line.querySelectorAll("[data-fg],[data-bg]")) {
      if (COLOUR.test(span.dataset.fg || "")) span.style.color = span.dataset.fg;
      if (COLOUR.test(span.dataset.bg || "")) span.style.backgroundColor = span.dataset.bg;
    }
    applyFilter(line);
  }

  function insert(lines) {
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      prepare(line);
      fragment.append(line);
    }
    log.append(fragment);
    trim();
    if (follow) log.scrollTop = log.scrollHeight;
    else liveButton.hidden = false;
  }

  function trim() {
    const excess = log.childElementCount - lineCap;
    if (excess <= 0) return;
    const range = document.createRange();
    range.setStartBefore(log.firstChild);
    range.setEndAfter(log.children[excess - 1]);
    range.deleteContents();
  }

  // --- pause -----------------------------------------------------------------
  function hold(fragment) {
    held.push(fragment);
    heldLines += fragment.childElementCount;
    // Keep no more than the cap while paused: older lines would be trimmed anyway.
    while (held.length > 1 && heldLines - held[0].childElementCount >= lineCap) {
      heldLines -= held.shift().childElementCount;
    }
    pauseButton.textContent = `Resume (${heldLines} new)`;
  }

  function setPaused(value) {
    paused = value;
    pauseButton.setAttribute("aria-pressed", String(paused));
    if (paused) {
      pauseButton.textContent = "Resume (0 new)";
      return;
    }
    pauseButton.textContent = "Pause";
    const waiting = held;
    held = [];
    heldLines = 0;
    for (const fragment of waiting) insert(Array.from(fragment.children));
  }

  pauseButton.addEventListener("click", () => setPaused(!paused));

  // --- autoscroll ------------------------------------------------------------
  function jumpToLive() {
    follow = true;
    liveButton.hidden = true;
    log.scrollTop = log.scrollHeight;
  }

  log.addEventListener("scroll", () => {
    follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    if (follow) liveButton.hidden = true;
  });
  liveButton.addEventListener("click", jumpToLive);

  // --- filter ----------------------------------------------------------------
  function compileFilter() {
    const text = filterBox.value;
    filterBox.classList.remove("invalid");
    if (!text) return null;
    const flags = caseBox.checked ? "g" : "gi";
    try {
      return new RegExp(regexBox.checked ? text : text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), flags);
    } catch {
      filterBox.classList.add("invalid");    // an unfinished regex shows everything
      return null;
    }
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
    if (!line.hidden) highlight(line);
  }

  function highlight(line) {
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

  // --- keyboard ----------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLInputElement;
    if (event.key === "/" && !typing) {
      event.preventDefault();
      filterBox.focus();
    } else if (event.key === " " && !typing && event.target.tagName !== "BUTTON") {
      event.preventDefault();
      setPaused(!paused);
    } else if (event.key === "End" && !typing) {
      event.preventDefault();
      jumpToLive();
    } else if (event.key === "Escape" && event.target === filterBox) {
      filterBox.blur();
    }
  });
})();
