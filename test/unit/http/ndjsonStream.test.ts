/** The stream writer's NDJSON framing (Ollama's) on a real socket: lines, headers, errors, backpressure, a client that leaves or stops reading. */
import { connect } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../../../src/errors.js";
import { toHttpError } from "../../../src/http/errorEnvelope.js";
import { startEventStream, type EventStream } from "../../../src/http/sse.js";

let app: FastifyInstance | undefined;
afterEach(async () => {
    await app?.close();
    app = undefined;
});

/** An app whose GET /stream hands its writer to `use`; resolves with its URL. */
type Stream = EventStream<Record<string, unknown>> & { readonly closed: boolean };

async function serve(use: (stream: Stream) => Promise<void>, stallTimeoutMs = 0): Promise<string> {
    app = Fastify();
    app.decorate("stallTimeoutMs", stallTimeoutMs);
    app.get("/stream", async (_request, reply) => {
        reply.header("x-before", "kept");
        const stream = startEventStream<Record<string, unknown>>(reply, JSON.stringify, { framing: "ndjson" });
        await use(Object.defineProperty(stream, "closed", { get: () => reply.raw.destroyed || reply.raw.writableEnded }) as Stream);
        return reply;
    });
    return app.listen({ port: 0, host: "127.0.0.1" });
}

const until = async (condition: () => boolean) => {
    for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(condition()).toBe(true);
};

describe("NDJSON streams", () => {
    it("writes one JSON object per line as application/x-ndjson, keeping headers set before it started", async () => {
        const url = await serve(async (stream) => {
            await stream.send({ status: "one" });
            await stream.send({ status: "two", n: 2 });
            stream.end();
        });
        const response = await fetch(`${url}/stream`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("application/x-ndjson");
        expect(response.headers.get("x-before")).toBe("kept");
        expect(await response.text()).toBe('{"status":"one"}\n{"status":"two","n":2}\n');
    });

    it("ends with Ollama's error line: an ApiError's message, else a generic one", async () => {
        let fail: unknown = new ApiError("the Hub is down", 502, "server_error", "download_failed");
        const url = await serve(async (stream) => {
            await stream.send({ status: "pulling manifest" });
            stream.fail(toHttpError(fail));
        });
        expect(await (await fetch(`${url}/stream`)).text()).toBe('{"status":"pulling manifest"}\n{"error":"the Hub is down"}\n');
        fail = new Error("secret internals");
        expect(await (await fetch(`${url}/stream`)).text()).toBe('{"status":"pulling manifest"}\n{"error":"Internal server error."}\n');
    });

    it("holds send while the client does not read, and lets go when it leaves", async () => {
        let stream: Stream | undefined;
        let sent = 0;
        let finished = false;
        const url = await serve(async (started) => {
            stream = started;
            const line = { text: "x".repeat(64 * 1024) };
            while (!started.closed && sent < 10_000) {
                await started.send(line);
                sent++;
            }
            finished = true;
        });
        const { port } = new URL(url);
        const socket = connect(Number(port), "127.0.0.1");
        socket.write("GET /stream HTTP/1.1\r\nhost: x\r\n\r\n");
        socket.pause();
        await until(() => sent > 0);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const held = sent;
        await new Promise((resolve) => setTimeout(resolve, 200));
        // Nothing read: the socket's buffers filled, and send waits.
        expect(sent).toBe(held);
        expect(sent).toBeLessThan(10_000);
        socket.destroy();
        await until(() => finished);
        expect(stream!.closed).toBe(true);
        // Writes after the client left are dropped, not thrown.
        await stream!.send({ late: true });
    });

    it("closes the connection of a client that reads nothing for the stall timeout", async () => {
        let finished = false;
        const url = await serve(async (stream) => {
            while (!stream.closed) await stream.send({ text: "x".repeat(64 * 1024) });
            finished = true;
        }, 300);
        const { port } = new URL(url);
        const socket = connect(Number(port), "127.0.0.1");
        socket.on("error", () => undefined);
        socket.write("GET /stream HTTP/1.1\r\nhost: x\r\n\r\n");
        socket.pause();
        await until(() => finished);
        socket.destroy();
    });
});
