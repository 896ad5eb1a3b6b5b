// Matching text as the user typed it: literal or a regular expression, with or without case,
// and marking the matches in a line. Needs no element of its own.

// A RegExp for text, literal unless `regex`; null when it does not compile.
export function pattern(text, regex, matchCase) {
  try {
    return new RegExp(regex ? text : text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), matchCase ? "g" : "gi");
  } catch {
    return null;
  }
}

// Wrap matches inside each text node in <mark>; a match across colour spans stays unmarked.
export function highlight(line, regexp) {
  const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const text = node.data;
    regexp.lastIndex = 0;
    let match, last = 0;
    const parts = [];
    while ((match = regexp.exec(text)) && match[0]) {
      parts.push(text.slice(last, match.index));
      const mark = document.createElement("mark");
      mark.textContent = match[0];
      parts.push(mark);
      last = match.index + match[0].length;
    }
    if (parts.length) {
      parts.push(text.slice(last));
      node.replaceWith(...parts);
    }
  }
}

export function unhighlight(line) {
  for (const mark of line.querySelectorAll("mark")) mark.replaceWith(mark.textContent);
  line.normalize();
}
