// Elements from the server's HTML, and the few things every feature does to them.
// Needs no element of its own.

const COLOUR = /^#[0-9a-f]{6}$/;

// The server's HTML (escaped lines and colour spans only) as elements, not yet in the page.
export function parse(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}

// 256-colour and truecolour values come as data attributes (the CSP forbids inline styles).
export function colour(line) {
  if (!line.firstElementChild) return;
  for (const span of line.querySelectorAll("[data-fg],[data-bg]")) {
    if (COLOUR.test(span.dataset.fg || "")) span.style.color = span.dataset.fg;
    if (COLOUR.test(span.dataset.bg || "")) span.style.backgroundColor = span.dataset.bg;
  }
}

// A note between lines: a rotation, the start of a file, an error.
export function marker(text, kind = "") {
  const element = document.createElement("div");
  element.className = `marker ${kind}`.trim();
  element.textContent = text;
  return element;
}

// The one line marked as the one a link points at, within `parent`.
export function markCurrent(line, parent) {
  for (const current of parent.querySelectorAll('[aria-current="true"]')) current.removeAttribute("aria-current");
  line.setAttribute("aria-current", "true");
}

// A click in a line's gutter (its left padding): the permalink's (permalink.js), not the line's.
export function inGutter(event, line) {
  return event.target === line && event.offsetX <= parseFloat(getComputedStyle(line).paddingLeft);
}

// The sentence of an error page (werkzeug's <p>), or the status, as an Error.
export async function refusal(response) {
  const sentence = parse(await response.text()).querySelector("p");
  return new Error(sentence ? sentence.textContent : `${response.status} ${response.statusText}`);
}

export function copy(text) {
  if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
}
