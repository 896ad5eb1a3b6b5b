// Levels at a glance: counts of the serious lines on the page (#level-summary), and a mark beside
// the log where each is (#minimap). Each element is optional.
import { log } from "./log-window.js";

const SERIOUS = ["critical", "error", "warning"];

function marksOf(lines) {
  const marks = document.createDocumentFragment();
  const placed = new Set();
  const height = log.scrollHeight || 1;
  const origin = lines.length && lines[0].offsetParent !== log ? log.offsetTop : 0;   // where the log starts
  for (const line of lines) {
    const top = Math.round((1000 * (line.offsetTop - origin)) / height) / 10;   // a mark per level per 0.1 % of the height
    const key = `${line.dataset.level}${top}`;
    if (placed.has(key)) continue;
    placed.add(key);
    const mark = document.createElement("button");
    mark.type = "button";
    mark.className = "mark";
    mark.dataset.level = line.dataset.level;
    mark.title = line.textContent.slice(0, 200);
    mark.style.top = `${top}%`;
    mark.addEventListener("click", () => line.scrollIntoView({ block: "center" }));
    marks.append(mark);
  }
  return marks;
}

function summaryOf(lines) {
  const counts = Object.fromEntries(SERIOUS.map((level) => [level, 0]));
  for (const line of lines) counts[line.dataset.level] += 1;
  return SERIOUS.filter((level) => counts[level]).map((level) => `${counts[level]} ${level}`).join(" · ");
}

export function startGlance(summary, minimap) {
  const selector = SERIOUS.map((level) => `.l[data-level=${level}]`).join(",");
  let pending = false;
  const draw = () => {
    pending = false;
    const lines = log.querySelectorAll(selector);
    if (minimap) minimap.replaceChildren(marksOf(lines));
    if (summary) {
      summary.textContent = summaryOf(lines);
      summary.hidden = !summary.textContent;
    }
  };
  new MutationObserver(() => {
    if (!pending) pending = requestAnimationFrame(draw);
  }).observe(log, { childList: true });
}
