// Every line's permalink: a click in its gutter marks it and puts its link (?at=) in the address
// bar and the clipboard; the link outlives rotation. Needs: #log with data-view.
import { copy, inGutter, markCurrent } from "./dom.js";
import { log } from "./log-window.js";

export function startPermalinks() {
  log.addEventListener("click", (event) => {
    const line = event.target.closest(".l");
    if (!line || !inGutter(event, line)) return;
    const link = new URL(log.dataset.view, location.href);   // its own query too: files= of a merged page
    link.searchParams.set("at", line.dataset.at);
    const url = link.href;
    history.replaceState(null, "", url);
    markCurrent(line, log);
    copy(url);
  });
}
