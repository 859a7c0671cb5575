/** Reads a server-sent event stream incrementally, recording when each event arrived. */
import { createParser } from "eventsource-parser";

export type ReceivedEvent = { data: string; at: number };

export async function readEventStream(response: Response): Promise<{ events: ReceivedEvent[]; endedAt: number }> {
    const events: ReceivedEvent[] = [];
    const parser = createParser({ onEvent: (event) => events.push({ data: event.data, at: performance.now() }) });
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
    return { events, endedAt: performance.now() };
}

/** The JSON payloads of a stream, without the closing `[DONE]`. */
export function jsonPayloads<T = Record<string, unknown>>(events: ReceivedEvent[]): T[] {
    return events.filter((event) => event.data !== "[DONE]").map((event) => JSON.parse(event.data) as T);
}
