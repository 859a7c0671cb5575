/**
 * Server-sent events: `data: <json>` per chunk, written as soon as it is produced, then `data: [DONE]` (OpenAI's and
 * LM Studio's streams; Anthropic's name each event and end without a marker: see StreamDialect); or Ollama's
 * newline-delimited JSON, one object per line, with the same flow control.
 * Writes after the client has gone are dropped, never thrown. A client that does not read holds the stream:
 * `send` waits for the socket to drain (the generation behind it is held meanwhile), and a client that reads
 * nothing for the stall timeout has its connection closed, which ends the generation as a hang-up does.
 */
import type { ServerResponse } from "node:http";
import type { FastifyReply } from "fastify";
import type { ErrorEnvelope } from "../schemas/errorEnvelope.js";
import { toOllamaError, type HttpError } from "./errorEnvelope.js";

/** How an API writes its stream; OpenAI's way by default. */
export type StreamDialect<T> = {
    /** "sse" (the default): server-sent events; "ndjson": one JSON object per line, no event names or marker. */
    framing?: "sse" | "ndjson";
    /** The `event:` line before a chunk's data; none by default. */
    eventOf?(chunk: T): string;
    /** The data of the last event; OpenAI's `[DONE]` by default, null: none. */
    doneMarker?: string | null;
    /** An error after the stream started, as this API writes it; default: the OpenAI-shaped envelope as data (NDJSON: Ollama's `{"error"}` line). */
    error?(error: HttpError): { event?: string; data: string };
};

export type EventStream<T> = {
    /** Resolves at once, or when the client has read what was written before (the socket drained). */
    send(chunk: T): Promise<void> | void;
    /** An error after the stream started: sent as an event of its own, then the stream ends. */
    fail(error: HttpError): void;
    end(): void;
};

/**
 * Closes `response`'s connection, after calling `onStall`, once its client has read nothing for `stallMs` (0:
 * never). Progress is the socket's bytes handed to the OS: a slow client that keeps reading is not cut. Returns
 * the function that stops watching.
 */
function destroyWhenStalled(response: ServerResponse, stallMs: number, onStall: () => void): () => void {
    const socket = response.socket;
    if (stallMs <= 0 || socket === null) return () => {};
    let written = socket.bytesWritten;
    const timer = setInterval(() => {
        if (socket.bytesWritten !== written) {
            written = socket.bytesWritten;
            return;
        }
        clearInterval(timer);
        onStall();
        socket.destroy();
    }, stallMs).unref();
    return () => clearInterval(timer);
}

/** Closes `response`'s connection when its client reads nothing for `stallMs` (0: never) before it is written out. */
export function closeIfStalled(response: ServerResponse, stallMs: number, onClose: () => void): void {
    const stop = destroyWhenStalled(response, stallMs, onClose);
    response.once("finish", stop);
    response.once("close", stop);
}

/** Resolves when `response` can take more (drained or gone); past the stall timeout its connection is closed. */
function drained(response: ServerResponse, stallMs: number, onStall: () => void): Promise<void> {
    return new Promise((resolve) => {
        const done = () => {
            response.off("drain", done);
            response.off("close", done);
            stop();
            resolve();
        };
        response.on("drain", done);
        response.on("close", done);
        const stop = destroyWhenStalled(response, stallMs, onStall);
    });
}

export function startEventStream<T>(reply: FastifyReply, serialize: (chunk: T) => string, dialect: StreamDialect<T> = {}): EventStream<T> {
    reply.hijack();
    const raw = reply.raw;
    const ndjson = dialect.framing === "ndjson";
    // Headers set on the reply before (CORS's) are not written by a hijacked reply: they are carried over.
    const earlier = Object.entries(reply.getHeaders()).filter((entry): entry is [string, string | number | string[]] => entry[1] !== undefined);
    raw.writeHead(200, {
        ...Object.fromEntries(earlier),
        "Content-Type": ndjson ? "application/x-ndjson" : "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no"
    });
    raw.flushHeaders();
    const stallMs = reply.server.stallTimeoutMs;
    const onStall = () => reply.log.warn(`Closed a stream whose client read nothing for ${stallMs / 1000} s`);
    // The events of one turn (the tokens the engine sent together) leave in one write: one wake-up of the client.
    let corked = false;
    const write = (data: string, event?: string): Promise<void> | void => {
        if (raw.destroyed || raw.writableEnded) return;
        if (!corked) {
            corked = true;
            raw.cork();
            setImmediate(() => {
                corked = false;
                raw.uncork();
            });
        }
        const framed = ndjson ? `${data}\n` : `${event === undefined ? "" : `event: ${event}\n`}data: ${data}\n\n`;
        if (!raw.write(framed)) return drained(raw, stallMs, onStall);
    };
    const doneMarker = ndjson ? null : dialect.doneMarker === undefined ? "[DONE]" : dialect.doneMarker;
    return {
        send: (chunk) => write(serialize(chunk), dialect.eventOf?.(chunk)),
        fail: (error) => {
            const written = dialect.error?.(error)
                ?? { data: JSON.stringify(ndjson ? toOllamaError(error) : error.body satisfies ErrorEnvelope) };
            void write(written.data, written.event);
            if (!raw.writableEnded) raw.end();
        },
        end: () => {
            if (doneMarker !== null) void write(doneMarker);
            if (!raw.writableEnded) raw.end();
        }
    };
}
