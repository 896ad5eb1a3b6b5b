// Reads an event-stream response as it comes: {name, data, id, s, retry} for each event.
// Used by the search (search.js) and the shared worker (shared-stream.js); `s` is the
// extra field P/streams tags each event with (which subscription it belongs to).
export async function* eventStream(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let start = 0;
    for (let end; (end = buffer.indexOf("\n\n", start)) >= 0; start = end + 2) {
      const block = buffer.slice(start, end);
      const event = { name: "message", data: null, id: null, s: null, retry: null };
      const data = [];
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        if (colon === 0) continue;                       // a comment: a heartbeat
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(line[colon + 1] === " " ? colon + 2 : colon + 1);
        if (field === "data") data.push(text);
        else if (field === "event") event.name = text;
        else if (field === "id") event.id = text;
        else if (field === "s") event.s = Number(text);
        else if (field === "retry") event.retry = Number(text);
      }
      if (data.length) event.data = data.join("\n");
      if (data.length || event.id !== null || event.retry !== null) yield event;
    }
    buffer = buffer.slice(start);   // once per read: the events taken off, the unfinished one kept
  }
}
