// The buttons and toggles around the log; each optional, each started by main.js if present:
// pause (#pause), the live button (#live), line wrap (#wrap), the level menu (#level).
import { jumpToLive } from "./history.js";
import { log, setPaused, view } from "./log-window.js";

export function startPauseButton(button) {
  button.addEventListener("click", () => setPaused(!view.paused));
  log.addEventListener("log-viewer:window", ({ detail }) => {
    button.setAttribute("aria-pressed", String(detail.paused));
    button.textContent = detail.paused ? `Resume (${detail.held} new)` : "Pause";
  });
}

export function startLiveButton(button) {
  button.addEventListener("click", jumpToLive);
  log.addEventListener("log-viewer:window", ({ detail }) => {
    button.hidden = detail.following;
    button.textContent = detail.arrived ? `Jump to live \u2193 (${detail.arrived} new, End)` : "Jump to live \u2193 (End)";
  });
}

export function startWrap(box) {
  box.addEventListener("change", () => log.classList.toggle("wrap", box.checked));
}

// The level filter is the server's (level=): the page reopens with it.
export function startLevelMenu(select) {
  select.addEventListener("change", () => select.form.submit());
}
