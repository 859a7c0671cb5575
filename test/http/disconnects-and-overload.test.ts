/**
 * Clients that hang up at any moment, and more clients than the server has room for: every sequence comes
 * back, the queue drains, generations stop within a token or two, the overflow gets 503s, nothing hangs,
 * and the server keeps answering.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { metricsWhen, metricValue, readMetrics } from "../support/metrics.js";
import { postJson, startTestServer } from "../support/testServer.js";

const instance = 'instance="tiny-chat",model="tiny-chat"';
const model = 'model="tiny-chat"';
/** Far longer than any request here should take: a request still open after it has hung. */
const hangBound = 60_000;

/** Loads both models, so what follows measures serving, not loading. */
async function warmUp(server: RunningServer): Promise<void> {
    await postJson(`${server.url}/api/v0/completions`, { model: "tiny-chat", prompt: "Hi", max_tokens: 1 });
    await postJson(`${server.url}/api/v0/embeddings`, { model: "text-embedding-tiny-embed", input: "Hi" });
}

/** Runs `tasks` with at most `limit` in flight. */
async function inBatches<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
    const results: T[] = new Array(tasks.length);
    let next = 0;
    await Promise.all(Array.from({ length: limit }, async () => {
        while (next < tasks.length) {
            const index = next++;
            results[index] = await tasks[index]!();
        }
    }));
    return results;
}

const idle = (text: string) => metricValue(text, "lmhost_busy_sequences", instance) === 0 && metricValue(text, "lmhost_queue_depth", instance) === 0;

type Hangup = { endpoint: string; stream: boolean; after: { chunks: number } | { ms: number } };

const endpoints = fc.constantFrom("/api/v0/chat/completions", "/api/v0/completions", "/v1/chat/completions", "/v1/completions");
/** Before the headers, while queued, during prompt processing or mid-generation. */
const afterSome = fc.record({ ms: fc.integer({ min: 0, max: 400 }) });
const hangups: fc.Arbitrary<Hangup> = fc.oneof(
    fc.record({ endpoint: endpoints, stream: fc.constant(true), after: fc.oneof(fc.record({ chunks: fc.integer({ min: 0, max: 40 }) }), afterSome) }),
    // A non-streaming response has no chunks to count until it is complete.
    fc.record({ endpoint: endpoints, stream: fc.constant(false), after: afterSome })
);

/** Sends a long generation and hangs up as `hangup` says; returns how many chunks it had read. */
async function hangUp(serverUrl: string, { endpoint, stream, after }: Hangup): Promise<number> {
    const controller = new AbortController();
    const body = endpoint.includes("chat")
        ? { model: "tiny-chat", messages: [{ role: "user", content: "Tell me a long story" }], max_tokens: 1500, stream }
        : { model: "tiny-chat", prompt: "Once upon a time", max_tokens: 1500, stream };
    let chunks = 0;
    const timer = "ms" in after ? setTimeout(() => controller.abort(), after.ms) : undefined;
    try {
        const response = await postJson(`${serverUrl}${endpoint}`, body, { signal: controller.signal });
        if ("chunks" in after && after.chunks === 0) controller.abort();
        const reader = response.body!.getReader();
        for (;;) {
            const { done } = await reader.read();
            if (done) break;
            chunks++;
            if ("chunks" in after && chunks >= after.chunks) controller.abort();
        }
    } catch (error) {
        if ((error as Error).name !== "AbortError") throw error;
    } finally {
        clearTimeout(timer);
    }
    return chunks;
}

describe("clients that hang up", () => {
    let server: RunningServer;
    beforeAll(async () => {
        server = await startTestServer({ modelsDir: await standardModelsFolder(), parallel: 4 });
        await warmUp(server);
    });
    afterAll(() => server.close());

    it("free every sequence and empty the queue; generations stop within two tokens; the next request is served at once", async () => {
        const before = await readMetrics(server.url);
        const plans = fc.sample(hangups, { numRuns: 240, seed: 6 });
        await inBatches(plans.map((plan) => () => hangUp(server.url, plan)), 12);

        const after = await metricsWhen(server.url, idle);
        expect(idle(after)).toBe(true);
        const cancelled = metricValue(after, "lmhost_tokens_after_cancel_count", model) - metricValue(before, "lmhost_tokens_after_cancel_count", model);
        const withinTwo = metricValue(after, "lmhost_tokens_after_cancel_bucket", `le="2",${model}`)
            - metricValue(before, "lmhost_tokens_after_cancel_bucket", `le="2",${model}`);
        // Some plans hang up only after the generation ended; most catch it running or queued.
        expect(cancelled).toBeGreaterThan(plans.length / 2);
        expect(withinTwo).toBe(cancelled);
        const bucket = (le: string) => metricValue(after, "lmhost_tokens_after_cancel_bucket", `le="${le}",${model}`)
            - metricValue(before, "lmhost_tokens_after_cancel_bucket", `le="${le}",${model}`);
        console.log(`${cancelled} generations cancelled: ${bucket("0")} at once, ${bucket("1") - bucket("0")} after 1 token, ${bucket("2") - bucket("1")} after 2`);
        const stopped = metricValue(after, "lmhost_completions_total", `${model},stop_reason="userStopped"`)
            - metricValue(before, "lmhost_completions_total", `${model},stop_reason="userStopped"`);
        expect(stopped).toBe(cancelled);

        // All four sequences are free: four requests run side by side without queueing.
        const fresh = Array.from({ length: 4 }, (_, index) =>
            postJson(`${server.url}/v1/completions`, { model: "tiny-chat", prompt: "Hello", max_tokens: 400, seed: index }, { signal: AbortSignal.timeout(hangBound) }));
        const during = await metricsWhen(server.url, (text) => metricValue(text, "lmhost_busy_sequences", instance) === 4);
        expect(metricValue(during, "lmhost_queue_depth", instance)).toBe(0);
        for (const response of await Promise.all(fresh)) {
            expect(response.status).toBe(200);
            expect((await response.json()).usage.completion_tokens).toBeGreaterThan(0);
        }
    });
});

describe("a client that hangs up while queued", () => {
    let server: RunningServer;
    beforeAll(async () => {
        server = await startTestServer({ modelsDir: await standardModelsFolder(), parallel: 2 });
        await warmUp(server);
    });
    afterAll(() => server.close());

    it("leaves the queue at once and never takes a sequence, while the running requests go on", async () => {
        const running = Array.from({ length: 2 }, (_, index) =>
            postJson(`${server.url}/v1/completions`, { model: "tiny-chat", prompt: "Hello", max_tokens: 1500, seed: index }));
        await metricsWhen(server.url, (text) => metricValue(text, "lmhost_busy_sequences", instance) === 2);
        const controller = new AbortController();
        const queued = postJson(`${server.url}/v1/completions`, { model: "tiny-chat", prompt: "Hello", max_tokens: 1500 }, { signal: controller.signal })
            .catch((error: Error) => error);
        const waiting = await metricsWhen(server.url, (text) => metricValue(text, "lmhost_queue_depth", instance) === 1);
        expect(metricValue(waiting, "lmhost_queue_depth", instance)).toBe(1);
        controller.abort();
        expect(await queued).toBeInstanceOf(Error);
        const left = await metricsWhen(server.url, (text) => metricValue(text, "lmhost_queue_depth", instance) === 0);
        expect(metricValue(left, "lmhost_queue_depth", instance)).toBe(0);
        expect(metricValue(left, "lmhost_busy_sequences", instance)).toBe(2);
        for (const response of await Promise.all(running)) expect((await response.json()).usage.completion_tokens).toBe(1500);
        const after = await readMetrics(server.url);
        // The queued request generated nothing: only the two running ones produced tokens.
        expect(metricValue(after, "lmhost_completion_tokens_total", model)).toBe(metricValue(waiting, "lmhost_completion_tokens_total", model) + 3000);
    });
});

describe("an overload burst", () => {
    let server: RunningServer;
    beforeAll(async () => {
        server = await startTestServer({ modelsDir: await standardModelsFolder(), parallel: 4, maxQueue: 16 });
        await warmUp(server);
    });
    afterAll(() => server.close());

    it("ends each of 200 concurrent requests in a result or a 503 with Retry-After, and keeps answering GET /api/v0/models", async () => {
        const bodies = Array.from({ length: 200 }, (_, index) => {
            switch (index % 5) {
                case 0: return { path: "/v1/chat/completions", body: { model: "tiny-chat", messages: [{ role: "user", content: `Hi ${index}` }], max_tokens: 48, stream: true } };
                case 1: return { path: "/api/v0/completions", body: { model: "tiny-chat", prompt: `Count ${index}`, max_tokens: 48 } };
                case 2: return { path: "/v1/embeddings", body: { model: "text-embedding-tiny-embed", input: [`text ${index}`, "another"] } };
                case 3: return { path: "/api/v0/chat/completions", body: { model: "tiny-chat", messages: [{ role: "user", content: "Go" }], max_tokens: 48 } };
                default: return { path: "/v1/completions", body: { model: "tiny-chat", prompt: "Once", max_tokens: 48, stream: true } };
            }
        });
        let bursting = true;
        const listingTimes: number[] = [];
        const listing = (async () => {
            while (bursting) {
                const started = performance.now();
                const response = await fetch(`${server.url}/api/v0/models`, { signal: AbortSignal.timeout(hangBound) });
                expect(response.status).toBe(200);
                expect((await response.json()).data.length).toBe(2);
                listingTimes.push(performance.now() - started);
                await new Promise((resolve) => setTimeout(resolve, 20));
            }
        })();
        const outcomes = await Promise.all(bodies.map(async ({ path, body }) => {
            const response = await postJson(`${server.url}${path}`, body, { signal: AbortSignal.timeout(hangBound) });
            const text = await response.text();
            if (response.status === 503) {
                expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
                expect(JSON.parse(text).error).toMatchObject({ type: "overloaded_error", code: "queue_full" });
            } else if (response.status === 200) {
                if ("stream" in body) expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
                else JSON.parse(text);
            }
            return response.status;
        }));
        bursting = false;
        await listing;

        expect(outcomes.filter((status) => status !== 200 && status !== 503)).toEqual([]);
        // Each model admits 4 running + 16 queued at a time; 160 of the 200 are for the chat model.
        expect(outcomes.filter((status) => status === 503).length).toBeGreaterThan(0);
        expect(outcomes.filter((status) => status === 200).length).toBeGreaterThanOrEqual(20);
        expect(listingTimes.length).toBeGreaterThan(0);
        listingTimes.sort((a, b) => a - b);
        console.log(`GET /api/v0/models during the burst: ${listingTimes.length} requests, ` +
            `p50 ${listingTimes[Math.floor(listingTimes.length / 2)]!.toFixed(1)} ms, max ${listingTimes.at(-1)!.toFixed(1)} ms`);
        expect(idle(await metricsWhen(server.url, idle))).toBe(true);
    });
});
