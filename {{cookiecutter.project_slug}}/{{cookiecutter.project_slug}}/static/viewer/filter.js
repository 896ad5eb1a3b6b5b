// The filter: only the lines on the page that match are shown, matches marked. Needs: #filter;
// #regex (a regular expression) and #case (match case) are optional.
import { bindKey } from "./keys.js";
import { log, onLine, view } from "./log-window.js";
import { highlight, pattern, unhighlight } from "./pattern.js";

export function startFilter(box) {
  const regexBox = document.getElementById("regex");
  const caseBox = document.getElementById("case");
  let filter = null;          // RegExp, or null for "show everything"

  function compile() {
    if (!box.value) {
      box.classList.remove("invalid");
      return null;
    }
    const compiled = pattern(box.value, regexBox && regexBox.checked, caseBox && caseBox.checked);
    box.classList.toggle("invalid", !compiled);    // an unfinished regex shows everything
    return compiled;
  }

  function apply(line) {
    if (!line.classList.contains("l")) return;   // markers always show
    if (line.querySelector("mark")) unhighlight(line);
    if (!filter) {
      line.hidden = false;
      return;
    }
    filter.lastIndex = 0;
    line.hidden = !filter.test(line.textContent);
    if (!line.hidden) highlight(line, filter);
  }

  function refilter() {
    filter = compile();
    for (const line of log.children) apply(line);
    if (view.following) log.scrollTop = log.scrollHeight;
  }

  onLine(apply);
  box.addEventListener("input", refilter);
  for (const toggle of [regexBox, caseBox]) if (toggle) toggle.addEventListener("change", refilter);
  bindKey(["f"], () => box.focus());
}
