// Several files merged by time (files=): each line's file as a short name in a colour of its own in
// the gutter, the full path on hover. Needs: #log with data-files (the files, comma-separated).
import { onLine } from "./log-window.js";

const COLOURS = 8;   // .l[data-file-index] 0 to 7 (viewer.css)

export function startFiles() {
  const order = new Map();
  onLine((line) => {
    const file = line.dataset.file;
    if (!file) return;
    if (!order.has(file)) order.set(file, order.size);
    line.dataset.fileIndex = order.get(file) % COLOURS;
    line.dataset.tag = file.split("/").pop().replace(/\.log$/, "");
    line.title = file;
  });
}
