/**
 * Clients that stop reading: a stream's generation is held (keeping its sequence, spending nothing) while its
 * client reads nothing, goes on when it reads again, and is ended when it reads nothing for --stall-timeout;
 * a JSON reply is dropped the same way. The answers are big (6,000 tokens with 20 log-probabilities each, about
 * 9 MB) so that they outgrow what the kernel's socket buffers take on loopback.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { metricsWhen, metricValue, readMetrics } from "../support/metrics.js";
import { postJson, startTestServer } from "../support/testServer.js";

const instance = 'instance="tiny-chat",model="tiny-chat"';
const bigAnswer = (stream: boolean, maxTokens = 6000) => JSON.stringify({
    model: "tiny-chat", stream, max_tokens: maxTokens, logprobs: true, top_logprobs: 20, messages: [{ role: "user", content: "hi" }]
});

/** A client that sends a request and reads nothing until told to. */
function silentClient(server: RunningServer, path: string, body: string) {
    const url = new URL(server.url);
    const socket = net.connect(Number(url.port), url.hostname);
    socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    socket.pause();
    return {
        /** Reads everything from now on; resolves with all that arrived when the response ends or the connection drops. */
        readToEnd(): Promise<string> {
            const chunks: Buffer[] = [];
            return new Promise((resolve) => {
                const finish = () => {
                    socket.destroy();
                    resolve(Buffer.concat(chunks).toString());
                };
                socket.on("data", (chunk: Buffer) => {
                    chunks.push(chunk);
                    // A stream keeps the connection; its last chunk ends the response.
                    if (chunk.toString("latin1").endsWith("\r\n0\r\n\r\n")) finish();
                });
                socket.once("close", finish);
                socket.resume();
            });
        }
    };
}

async function startWithBigContext(stallTimeout: number): Promise<RunningServer> {
    const server = await startTestServer({ modelsDir: await standardModelsFolder(), stallTimeout });
    const load = await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat", context_length: 8192, parallel: 1 });
    expect(load.status).toBe(200);
    return server;
}

describe("a stream whose client stops reading", () => {
    let server: RunningServer;
    beforeAll(async () => { server = await startWithBigContext(60); });
    afterAll(() => server.close());

    it("is held while the client reads nothing, and goes on to the end when it reads again", async () => {
        const client = silentClient(server, "/v1/chat/completions", bigAnswer(true));
        const held = await metricsWhen(server.url, (text) => metricValue(text, "lmhost_held_generations", instance) === 1, 800);
        expect(metricValue(held, "lmhost_held_generations", instance)).toBe(1);
        expect(metricValue(held, "lmhost_busy_sequences", instance)).toBe(1);
        // Held, it stays where it was: no completion ends while the client is silent.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(metricValue(await readMetrics(server.url), "lmhost_completions_total", 'model="tiny-chat",stop_reason="maxPredictedTokensReached"')).toBe(0);
        const stream = await client.readToEnd();
        expect(stream).toContain('"finish_reason":"length"');
        expect(stream).toContain("data: [DONE]");
        const after = await metricsWhen(server.url, (text) => metricValue(text, "lmhost_completion_tokens_total", 'model="tiny-chat"') > 0);
        expect(metricValue(after, "lmhost_completion_tokens_total", 'model="tiny-chat"')).toBe(6000);
        expect(metricValue(after, "lmhost_held_generations", instance)).toBe(0);
    });
});

describe("a client that reads nothing for the stall timeout", () => {
    let server: RunningServer;
    beforeAll(async () => { server = await startWithBigContext(1); });
    afterAll(() => server.close());

    it("has its stream ended and its generation stopped, with the tokens it had when held", async () => {
        const client = silentClient(server, "/v1/chat/completions", bigAnswer(true));
        const received = client.readToEnd.bind(client);
        const ended = await metricsWhen(server.url, (text) => metricValue(text, "lmhost_completions_total", 'model="tiny-chat",stop_reason="userStopped"') === 1, 800);
        expect(metricValue(ended, "lmhost_completions_total", 'model="tiny-chat",stop_reason="userStopped"')).toBe(1);
        // What the server held for it was bounded: far fewer tokens than asked for were generated.
        expect(metricValue(ended, "lmhost_completion_tokens_total", 'model="tiny-chat"')).toBeLessThan(5000);
        expect(await received()).not.toContain("data: [DONE]");
        expect(metricValue(ended, "lmhost_busy_sequences", instance)).toBe(0);
    });

    it("drops a JSON reply its client does not read", async () => {
        const client = silentClient(server, "/v1/chat/completions", bigAnswer(false, 5000));
        const before = metricValue(await readMetrics(server.url), "lmhost_completions_total", 'model="tiny-chat",stop_reason="maxPredictedTokensReached"');
        await metricsWhen(server.url, (text) => metricValue(text, "lmhost_completions_total", 'model="tiny-chat",stop_reason="maxPredictedTokensReached"') > before, 1600);
        await new Promise((resolve) => setTimeout(resolve, 2500));
        const reply = await client.readToEnd();
        const declared = Number(/content-length: (\d+)/i.exec(reply)?.[1]);
        expect(declared).toBeGreaterThan(6_000_000);
        expect(Buffer.byteLength(reply)).toBeLessThan(declared);
        // The server goes on serving.
        expect((await postJson(`${server.url}/v1/chat/completions`, { model: "tiny-chat", max_tokens: 3, messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    });
});
