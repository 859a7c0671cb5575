/**
 * Many requests at once on one model: independent results, continuous batching within --parallel slots, a
 * bounded queue, the prompt cache, and the metrics that count it all. Functional checks only; speed is
 * measured by `npm run bench`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { metricValue } from "../support/metrics.js";
import { jsonPayloads, readEventStream } from "../support/sse.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
const prompts = ["The weather today is", "Once upon a time", "Explain how a transformer works", "Count from one to ten"];

async function streamedText(body: Record<string, unknown>): Promise<string> {
    const response = await postJson(`${server.url}/api/v0/completions`, { model: "tiny-chat", stream: true, ...body });
    expect(response.status).toBe(200);
    const chunks = jsonPayloads<Record<string, any>>((await readEventStream(response)).events);
    return chunks.map((chunk) => chunk.choices[0]?.text ?? "").join("");
}

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder(), parallel: 4, maxQueue: 8 });
});
afterAll(() => server.close());

describe("concurrent requests", () => {
    it("complete with the same text as each request alone, 8 at once on 4 slots", async () => {
        const requests = Array.from({ length: 8 }, (_, index) => ({ prompt: prompts[index % 4], seed: 100 + index, temperature: 0.9, max_tokens: 40 }));
        const alone: string[] = [];
        for (const request of requests) alone.push(await streamedText(request));
        const together = await Promise.all(requests.map((request) => streamedText(request)));
        expect(together).toEqual(alone);
        expect(new Set(together).size).toBe(8);
    });

    it("lets a request that arrives while others generate join their batches instead of waiting for them", async () => {
        const finishedAt = async (body: Record<string, unknown>) => {
            const response = await postJson(`${server.url}/api/v0/completions`, { model: "tiny-chat", prompt: "Once upon a time", temperature: 0, ...body });
            await response.json();
            return performance.now();
        };
        await finishedAt({ max_tokens: 2 });
        const long = [finishedAt({ max_tokens: 1800 }), finishedAt({ max_tokens: 1800 }), finishedAt({ max_tokens: 1800 })];
        await new Promise((resolve) => setTimeout(resolve, 200));
        const late = await finishedAt({ max_tokens: 5 });
        expect(late).toBeLessThan(Math.min(...await Promise.all(long)));
    });

    it("refuses requests beyond --parallel + --max-queue with 503, Retry-After and an OpenAI-shaped error", async () => {
        const body = { model: "tiny-chat", prompt: "Once upon a time", max_tokens: 300, temperature: 0 };
        const responses = await Promise.all(Array.from({ length: 16 }, () => postJson(`${server.url}/api/v0/completions`, body)));
        const statuses = responses.map((response) => response.status);
        expect(statuses.filter((status) => status === 200)).toHaveLength(12);
        expect(statuses.filter((status) => status === 503)).toHaveLength(4);
        const refused = responses.find((response) => response.status === 503)!;
        expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect((await refused.json()).error).toMatchObject({ type: "overloaded_error", code: "queue_full" });
        await Promise.all(responses.filter((response) => response !== refused).map((response) => response.text()));
    });
});

describe("prompt cache", () => {
    const system = { role: "system", content: "You are a helpful assistant. Answer the question in one short sentence. ".repeat(4) };

    it("reuses the prefix a follow-up chat turn shares with the last one, and reports the cached tokens", async () => {
        const first = await (await postJson(`${server.url}/v1/chat/completions`, {
            model: "tiny-chat", messages: [system, { role: "user", content: "What is the capital of France?" }], max_tokens: 10, seed: 1
        })).json();
        expect(first.usage.prompt_tokens_details.cached_tokens).toBe(0);
        const followUp = {
            model: "tiny-chat", max_tokens: 10, seed: 2,
            messages: [system, { role: "user", content: "What is the capital of France?" }, first.choices[0].message, { role: "user", content: "And of Spain?" }]
        };
        const second = await (await postJson(`${server.url}/v1/chat/completions`, followUp)).json();
        const cached = second.usage.prompt_tokens_details.cached_tokens;
        expect(cached).toBeGreaterThanOrEqual(first.usage.prompt_tokens);
        expect(cached).toBeLessThan(second.usage.prompt_tokens);
        const uncached = await (await postJson(`${server.url}/v1/chat/completions`, { ...followUp, cache_prompt: false })).json();
        expect(uncached.usage.prompt_tokens_details.cached_tokens).toBe(0);
        expect(uncached.choices[0].message.content).toBe(second.choices[0].message.content);
    });
});

describe("GET /metrics", () => {
    it("counts requests, tokens, time to first token and loaded models in Prometheus text format", async () => {
        const before = await (await fetch(`${server.url}/metrics`)).text();
        const response = await postJson(`${server.url}/api/v0/completions`, { model: "tiny-chat", prompt: "Hello", max_tokens: 7 });
        const { usage } = await response.json();
        const after = await (await fetch(`${server.url}/metrics`)).text();
        expect(after).toContain("# TYPE lmhost_http_requests_total counter");
        const route = 'route="/api/v0/completions",method="POST",status="200"';
        expect(metricValue(after, "lmhost_http_requests_total", route) - metricValue(before, "lmhost_http_requests_total", route)).toBe(1);
        expect(metricValue(after, "lmhost_completion_tokens_total", 'model="tiny-chat"') - metricValue(before, "lmhost_completion_tokens_total", 'model="tiny-chat"')).toBe(7);
        expect(metricValue(after, "lmhost_prompt_tokens_total", 'model="tiny-chat"') - metricValue(before, "lmhost_prompt_tokens_total", 'model="tiny-chat"')).toBe(usage.prompt_tokens);
        expect(metricValue(after, "lmhost_time_to_first_token_seconds_count", 'model="tiny-chat"')).toBeGreaterThan(metricValue(before, "lmhost_time_to_first_token_seconds_count", 'model="tiny-chat"'));
        expect(after).toMatch(/^lmhost_loaded_models \d+$/m);
        expect(after).toMatch(/^lmhost_busy_sequences\{instance="tiny-chat",model="tiny-chat"\} 0$/m);
        expect(after).toMatch(/^lmhost_model_load_seconds_count\{model="tiny-chat"\} 1$/m);
        // The server process's own metrics, named once: lmhost_process_*, lmhost_nodejs_*.
        expect(after).toMatch(/^lmhost_process_resident_memory_bytes \d+$/m);
        expect(after).toMatch(/^lmhost_nodejs_eventloop_lag_seconds /m);
        expect(after).not.toContain("lmhost_process_process_");
    });

    it("shows busy sequences and queue depth while requests run", async () => {
        const body = { model: "tiny-chat", prompt: "Once upon a time", max_tokens: 600, temperature: 0 };
        const running = Array.from({ length: 6 }, () => postJson(`${server.url}/api/v0/completions`, body));
        let snapshot = "";
        for (let i = 0; i < 100 && !/lmhost_queue_depth\{instance="tiny-chat",model="tiny-chat"\} 2/.test(snapshot); i++) {
            snapshot = await (await fetch(`${server.url}/metrics`)).text();
        }
        expect(snapshot).toMatch(/^lmhost_busy_sequences\{instance="tiny-chat",model="tiny-chat"\} 4$/m);
        expect(snapshot).toMatch(/^lmhost_queue_depth\{instance="tiny-chat",model="tiny-chat"\} 2$/m);
        await Promise.all((await Promise.all(running)).map((response) => response.text()));
    });
});
