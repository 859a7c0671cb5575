/**
 * Server-sent events: `data: <json>` per chunk, written as soon as it is produced, then `data: [DONE]`.
 * Writes after the client has gone are dropped, never thrown.
 */
import type { FastifyReply } from "fastify";
import type { ErrorEnvelope } from "../schemas/errorEnvelope.js";

export type EventStream<T> = {
    send(chunk: T): void;
    /** An error after the stream started: sent as an event of its own, then the stream ends. */
    fail(error: ErrorEnvelope): void;
    end(): void;
};

export function startEventStream<T>(reply: FastifyReply, serialize: (chunk: T) => string): EventStream<T> {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no"
    });
    raw.flushHeaders();
    const write = (data: string) => {
        if (!raw.destroyed && !raw.writableEnded) raw.write(`data: ${data}\n\n`);
    };
    return {
        send: (chunk) => write(serialize(chunk)),
        fail: (error) => {
            write(JSON.stringify(error));
            if (!raw.writableEnded) raw.end();
        },
        end: () => {
            write("[DONE]");
            if (!raw.writableEnded) raw.end();
        }
    };
}
