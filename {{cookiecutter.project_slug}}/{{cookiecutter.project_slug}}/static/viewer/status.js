// The connection indicator. Needs: #status (optional: the state is kept without it).
const element = document.getElementById("status");
let shown = { state: "connecting", text: "connecting" };

export function setStatus(state, text = state) {
  if (shown.state === state && shown.text === text) return;   // every event says "live"
  shown = { state, text };
  if (!element) return;
  element.dataset.state = state;
  element.textContent = text;
}

export function statusState() {
  return shown.state;
}
