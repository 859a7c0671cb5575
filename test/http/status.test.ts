/**
 * GET /lmhost/status on the real server: behind the API key, totals that agree with /metrics, the instances with
 * the gauges' load and their engines' memory, the last minutes, and the shape its schema promises.
 */
import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsImport from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineProcess } from "../../src/engine/EngineProcess.js";
import { ServerStatus } from "../../src/schemas/status.js";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { metricValue } from "../support/metrics.js";
import { postJson, startTestServer } from "../support/testServer.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;
const validStatus = addFormats(new Ajv2020({ strict: false, allErrors: true })).compile(structuredClone(ServerStatus));
const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

const apiKey = "status-key";
const authorization = { authorization: `Bearer ${apiKey}` };
let server: RunningServer;

const get = (path: string) => fetch(`${server.url}${path}`, { headers: authorization });
const chat = (body: Record<string, unknown>, init: RequestInit = {}) =>
    postJson(`${server.url}/v1/chat/completions`, { messages: [{ role: "user", content: "Say something" }], ...body },
        { headers: { "content-type": "application/json", ...authorization }, ...init });

async function readStatus(): Promise<ServerStatus> {
    const response = await get("/lmhost/status");
    expect(response.status).toBe(200);
    const body = await response.json() as ServerStatus;
    expect(validStatus(body), JSON.stringify(validStatus.errors)).toBe(true);
    return body;
}

const readMetrics = async () => (await get("/metrics")).text();

/** Sum of a metric's samples in Prometheus text, over every label set that `where` accepts. */
function sumOf(text: string, name: string, where: (labels: string) => boolean = () => true): number {
    let sum = 0;
    for (const match of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, "gm"))) if (where(match[1] ?? "")) sum += Number(match[2]);
    return sum;
}

/** /metrics' text as GET /lmhost/status's totals. */
function totalsOf(text: string): ServerStatus["totals"] {
    return {
        requests: sumOf(text, "lmhost_http_requests_total"),
        errors: sumOf(text, "lmhost_http_requests_total", (labels) => Number(/status="(\d+)"/.exec(labels)?.[1]) >= 400),
        completions: sumOf(text, "lmhost_completions_total"),
        prompt_tokens: sumOf(text, "lmhost_prompt_tokens_total"),
        completion_tokens: sumOf(text, "lmhost_completion_tokens_total")
    };
}

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder(), parallel: 2, apiKey: [apiKey] });
});
afterAll(() => server.close());

describe("GET /lmhost/status", () => {
    it("needs the API key, and refuses without one in the OpenAI envelope", async () => {
        const response = await fetch(`${server.url}/lmhost/status`);
        expect(response.status).toBe(401);
        expect((await response.json()).error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    });

    it("answers before any model is loaded: the server's version, uptime and memory, no instances, the last 15 minutes", async () => {
        const before = Date.now();
        const status = await readStatus();
        expect(status.version).toBe(version);
        expect(status.uptime_seconds).toBeGreaterThan(0);
        expect(Date.parse(status.started_at)).toBeLessThanOrEqual(before);
        expect(status.memory.rss_bytes).toBeGreaterThan(status.memory.heap_used_bytes);
        expect(status.memory.heap_used_bytes).toBeGreaterThan(0);
        expect(status.instances).toEqual([]);
        expect(status.recent).toHaveLength(15);
        const starts = status.recent.map((entry) => Date.parse(entry.minute));
        expect(starts.slice(1).map((start, index) => start - starts[index]!)).toEqual(new Array(14).fill(60_000));
        const current = starts.at(-1)!;
        expect(current).toBeLessThanOrEqual(Date.now());
        expect(current).toBeGreaterThan(before - 60_000);
        expect(current % 60_000).toBe(0);
    });

    it("totals agree with /metrics after chats and an error; each read counts every request answered before it, not itself", async () => {
        for (const seed of [1, 2]) expect((await chat({ model: "tiny-chat", max_tokens: 8, seed })).status).toBe(200);
        const failed = await chat({ model: "no-such-model", max_tokens: 8 });
        expect(failed.status).toBe(404);
        await failed.text();

        // The status's own request (and /metrics') is counted once answered: in the next read, whichever it is.
        const metricsBefore = await readMetrics();
        const status = await readStatus();
        const metricsAfter = await readMetrics();
        const before = totalsOf(metricsBefore);
        expect(status.totals).toEqual({ ...before, requests: before.requests + 1 });
        expect(totalsOf(metricsAfter)).toEqual({ ...status.totals, requests: status.totals.requests + 1 });
        expect((await readStatus()).totals).toEqual({ ...status.totals, requests: status.totals.requests + 2 });

        expect(status.totals.completions).toBe(2);
        expect(status.totals.completion_tokens).toBeGreaterThan(0);
        expect(status.totals.prompt_tokens).toBeGreaterThan(0);
        // The refused key of the first test, and the unknown model.
        expect(status.totals.errors).toBe(2);

        // The server started under 15 minutes ago: every request is in the window, however the minutes fell.
        const sum = (field: "requests" | "errors" | "completions" | "completion_tokens") => status.recent.reduce((total, entry) => total + entry[field], 0);
        expect(sum("requests")).toBe(status.totals.requests);
        expect(sum("errors")).toBe(status.totals.errors);
        expect(sum("completions")).toBe(2);
        expect(sum("completion_tokens")).toBe(status.totals.completion_tokens);
        const busyMinutes = status.recent.filter((entry) => entry.completions > 0);
        for (const entry of busyMinutes) {
            expect(entry.tokens_per_second).toBeGreaterThan(0);
            expect(entry.time_to_first_token_seconds).toBeGreaterThan(0);
        }
        for (const entry of status.recent.filter((each) => each.completions === 0)) {
            expect(entry.tokens_per_second).toBeNull();
            expect(entry.time_to_first_token_seconds).toBeNull();
        }
        // Most runs do it all within one minute: then the current one holds everything.
        const current = status.recent.at(-1)!;
        if (status.recent.filter((entry) => entry.requests > 0).length === 1) {
            expect(current).toMatchObject({ requests: status.totals.requests, errors: 2, completions: 2, completion_tokens: status.totals.completion_tokens });
        }
    });

    it("lists the loaded instance with the gauges' sequences and load, and its engine's memory", async () => {
        const [instance] = (await readStatus()).instances;
        expect(instance).toMatchObject({
            id: "tiny-chat", model: "tiny-chat", type: "llm", origin: "jit", sequences: 2, queued: 0, held: 0, context_length: expect.any(Number),
            ttl_seconds: 3600
        });
        expect(Date.parse(instance!.loaded_at)).toBeLessThanOrEqual(Date.now());
        expect(instance!.pid).toBe(server.lifecycle.instances()[0]!.engine.pid);
        if (process.platform === "linux") expect(instance!.memory_bytes).toBeGreaterThan(10 * 1024 * 1024);
        else expect(instance!.memory_bytes === null || instance!.memory_bytes > 0).toBe(true);

        // While one chat generates, the status and /metrics see the same busy sequence.
        const controller = new AbortController();
        const response = await chat({ model: "tiny-chat", max_tokens: 1500, temperature: 0, stream: true, messages: [{ role: "user", content: "Tell me a long story" }] }, { signal: controller.signal });
        const reader = response.body!.getReader();
        await reader.read();
        try {
            const busy = (await readStatus()).instances[0]!;
            const metrics = await readMetrics();
            const labels = 'instance="tiny-chat",model="tiny-chat"';
            expect(busy).toMatchObject({ sequences: 2, busy: 1, queued: 0 });
            expect(metricValue(metrics, "lmhost_busy_sequences", labels)).toBe(busy.busy);
            expect(metricValue(metrics, "lmhost_sequences", labels)).toBe(busy.sequences);
            expect(metricValue(metrics, "lmhost_queue_depth", labels)).toBe(busy.queued);
            expect(metricValue(metrics, "lmhost_held_generations", labels)).toBe(busy.held);
        } finally {
            controller.abort();
            await reader.cancel().catch(() => {});
        }
    });

    it("lists a load in flight with its progress, then the instance it made", async () => {
        const load = postJson(`${server.url}/api/v1/models/load`, { model: "text-embedding-tiny-embed", identifier: "status-load" },
            { headers: { "content-type": "application/json", ...authorization } });
        let seen: ServerStatus["loading"] = [];
        for (let i = 0; i < 400 && seen.length === 0; i++) seen = (await readStatus()).loading;
        expect(seen).toEqual([{ id: "status-load", model: "text-embedding-tiny-embed", progress: expect.any(Number) }]);
        expect(seen[0]!.progress).toBeGreaterThanOrEqual(0);
        expect(seen[0]!.progress).toBeLessThanOrEqual(1);
        expect((await load).status).toBe(200);
        const after = await readStatus();
        expect(after.loading).toEqual([]);
        expect(after.instances.map((instance) => instance.id)).toContain("status-load");
        const unloaded = await postJson(`${server.url}/api/v1/models/unload`, { instance_id: "status-load" },
            { headers: { "content-type": "application/json", ...authorization } });
        expect(unloaded.status).toBe(200);
    });

    it("asks the worker for its memory where the OS does not tell, and answers without it when the worker does not answer", async () => {
        const engine = server.lifecycle.instances()[0]!.engine as EngineProcess;
        const fromWorker = await engine.residentMemory({ from: "worker" });
        expect(fromWorker).toBeGreaterThan(10 * 1024 * 1024);
        const fromOs = await engine.residentMemory();
        expect(fromOs).toBeGreaterThan(0);
        // The same process measured two ways, a moment apart.
        expect(fromOs! / fromWorker!).toBeGreaterThan(0.5);
        expect(fromOs! / fromWorker!).toBeLessThan(2);

        const pid = engine.pid!;
        process.kill(pid, "SIGSTOP");
        try {
            const startedAt = performance.now();
            expect(await engine.residentMemory({ from: "worker", timeoutMs: 300 })).toBeNull();
            expect(performance.now() - startedAt).toBeLessThan(2000);
            // A status never waits longer than about a second for an engine, whatever it does.
            const status = await readStatus();
            expect(performance.now() - startedAt).toBeLessThan(4000);
            expect(status.instances).toHaveLength(1);
        } finally {
            process.kill(pid, "SIGCONT");
        }
        // Answers arriving after their time are dropped; the worker goes on answering.
        expect(await engine.residentMemory({ from: "worker" })).toBeGreaterThan(0);
    });
});
