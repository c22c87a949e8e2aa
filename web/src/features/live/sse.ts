/** Server-Sent Events over fetch: EventSource cannot send the Authorization header. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** Splits a text buffer into complete events; the unfinished tail is returned as `rest`. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const blocks = buffer.replace(/\r\n/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // keep-alive comment
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) continue;
    try {
      events.push({ event, data: JSON.parse(data.join("\n")) });
    } catch {
      events.push({ event, data: data.join("\n") });
    }
  }
  return { events, rest };
}

export interface StreamOptions {
  url: string;
  token: string | null;
  onEvent: (event: SseEvent) => void;
  onStatus?: (connected: boolean) => void;
  fetchFn?: typeof fetch;
}

/** Keeps a stream open, reconnecting with back-off, until `signal` aborts. */
export async function followStream(options: StreamOptions, signal: AbortSignal): Promise<void> {
  const fetchFn = options.fetchFn ?? ((input, init) => window.fetch(input, init));
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { Accept: "text/event-stream" };
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
      const response = await fetchFn(options.url, { headers, signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      options.onStatus?.(true);
      delay = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseSse(buffer + value);
        buffer = parsed.rest;
        parsed.events.forEach(options.onEvent);
      }
    } catch {
      if (signal.aborted) return;
    }
    options.onStatus?.(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
}
