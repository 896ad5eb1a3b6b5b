// Structure: JSON and logfmt lines get their keys and values styled. The element's text stays the
// raw line: only spans are added; a long value is folded (CSS). Lines a burst scrolls past unseen
// get it only if they are scrolled into view. Needs: #log.
import { log, onLine } from "./log-window.js";

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

// The fields of a structured line (data-kind), as an object (logfmt values unquoted).
export function fieldsOf(line) {
  const text = line.textContent;
  if (line.dataset.kind === "json") return JSON.parse(text);
  const fields = {};
  for (const [, key, value] of text.matchAll(LOGFMT_TOKENS)) {
    fields[key] = value.startsWith('"') ? JSON.parse(value) : value;
  }
  return fields;
}

// The lines on screen, found by a binary search (they are in order), get their structure.
function structureInView() {
  const box = log.getBoundingClientRect();
  const children = log.children;
  let low = 0;
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

export function startStructure() {
  onLine((line, seen) => { if (seen) structure(line); });
  let pending = 0;
  log.addEventListener("scroll", () => {
    if (!pending) pending = requestAnimationFrame(() => { pending = 0; structureInView(); });
  });
}
