// Keyboard shortcuts: each feature binds its own keys when it starts. A key does nothing while
// the user types in a search box (Escape leaves the box), and space nothing on a control.
// Needs no element of its own.
const bindings = new Map();   // key -> {action, onControls}

// `action` returns false when it did not use the key (the browser's default then applies).
export function bindKey(keys, action, { onControls = true } = {}) {
  for (const key of keys) bindings.set(key, { action, onControls });
}

document.addEventListener("keydown", (event) => {
  const target = event.target instanceof Element ? event.target : document.body;
  const typing = target.matches("input[type=search]");   // a toggle takes keys but not text
  if (typing) {
    if (event.key === "Escape") target.blur();
    return;
  }
  const binding = bindings.get(event.key);
  if (!binding || (!binding.onControls && target.matches("input, button"))) return;
  if (binding.action() !== false) event.preventDefault();
});
