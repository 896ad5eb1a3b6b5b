// The detail panel: a click on a structured line (one structure.js styled) shows it whole,
// pretty-printed, with buttons to copy it. Needs: #detail, #detail-text; #copy-line,
// #copy-pretty and #detail-close are optional.
import { copy, inGutter } from "./dom.js";
import { log } from "./log-window.js";
import { fieldsOf } from "./structure.js";

export function startDetail(panel, text) {
  let raw = "";
  const button = (id, action) => {
    const element = document.getElementById(id);
    if (element) element.addEventListener("click", action);
  };
  button("copy-line", () => copy(raw));
  button("copy-pretty", () => copy(text.textContent));
  button("detail-close", () => { panel.hidden = true; });
  log.addEventListener("click", (event) => {
    const line = event.target.closest(".l");
    if (!line || !line.dataset.kind || String(getSelection()) || inGutter(event, line)) return;
    raw = line.textContent;
    try {
      text.textContent = JSON.stringify(fieldsOf(line), null, 2);
    } catch {
      text.textContent = raw;   // not valid JSON after all: the line as it is
    }
    panel.hidden = false;
  });
}

