import { getLlama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compiledCpuBackendVariant } from "../../src/engine/engineEnvironment.js";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { expectSpecValid, specSchemas } from "../support/specSchemas.js";
import { jsonPayloads, readEventStream } from "../support/sse.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
/** The prebuilt binaries, with the CPU backend compiled at install where npm install could. */
const compiledVariant = compiledCpuBackendVariant();
const runtimeName = `llama.cpp-linux-x64-cpu${compiledVariant === undefined ? "" : `-compiled-${compiledVariant}`}`;
const model = "tiny-chat";
const messages = [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "What is the capital of France?" },
    { role: "assistant", content: "Paris." },
    { role: "user", content: "Tell me about the weather." }
];

async function chat(body: Record<string, unknown>) {
    const response = await postJson(`${server.url}/api/v0/chat/completions`, { model, messages, ...body });
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json();
}

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
});
afterAll(() => server.close());

describe("POST /api/v0/chat/completions", () => {
    it("answers with the spec's shape, real token counts, stats, model info and runtime", async () => {
        const body = await chat({ max_tokens: 12, seed: 7 });
        expectSpecValid(specSchemas.chatCompletion, body);
        expect(body.object).toBe("chat.completion");
        expect(body.model).toBe("tiny-chat");
        expect(body.choices[0].message.role).toBe("assistant");
        expect(body.usage.completion_tokens).toBe(12);
        expect(body.usage.prompt_tokens).toBeGreaterThan(20);
        expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 12);
        expect(body.choices[0].finish_reason).toBe("length");
        expect(body.stats.stop_reason).toBe("maxPredictedTokensReached");
        expect(body.stats.time_to_first_token).toBeGreaterThan(0);
        expect(body.stats.generation_time).toBeGreaterThan(0);
        expect(body.stats.tokens_per_second).toBeCloseTo(11 / body.stats.generation_time, 5);
        expect(body.model_info).toEqual({ arch: "llama", quant: "F16", format: "gguf", context_length: 2048 });
        const llama = await getLlama({ build: "never", gpu: false });
        expect(body.runtime).toEqual({ name: runtimeName, version: llama.llamaCppRelease.release, supported_formats: ["gguf"] });
    });

    it("renders the conversation with the model's ChatML template", async () => {
        const rendered = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\nParis.<|im_end|>\n" +
            "<|im_start|>user\nTell me about the weather.<|im_end|>\n<|im_start|>assistant\n";
        const viaChat = await chat({ max_tokens: 16, temperature: 0 });
        const viaCompletion = await (await postJson(`${server.url}/api/v0/completions`,
            { model, prompt: rendered, max_tokens: 16, temperature: 0 })).json();
        expect(viaChat.usage.prompt_tokens).toBe(viaCompletion.usage.prompt_tokens);
        expect(viaChat.choices[0].message.content).toBe(viaCompletion.choices[0].text);
    });

    it("gives the same text for the same seed, and different text for different seeds", async () => {
        const first = await chat({ max_tokens: 24, seed: 1234 });
        const again = await chat({ max_tokens: 24, seed: 1234 });
        const other = await chat({ max_tokens: 24, seed: 99 });
        expect(again.choices[0].message.content).toBe(first.choices[0].message.content);
        expect(other.choices[0].message.content).not.toBe(first.choices[0].message.content);
    });

    it("draws a fresh seed for each request that has none", async () => {
        const texts = new Set<string>();
        for (let i = 0; i < 3; i++) texts.add((await chat({ max_tokens: 24, temperature: 1.5 })).choices[0].message.content);
        expect(texts.size).toBeGreaterThan(1);
    });

    it("is deterministic at temperature 0 without a seed", async () => {
        const first = await chat({ max_tokens: 24, temperature: 0 });
        const second = await chat({ max_tokens: 24, temperature: 0 });
        expect(second.choices[0].message.content).toBe(first.choices[0].message.content);
    });

    it("cuts the output before a stop string and reports stopStringFound", async () => {
        const full: string = (await chat({ max_tokens: 40, temperature: 0 })).choices[0].message.content;
        const stop = [...Array(full.length - 3).keys()].slice(5).map((start) => full.slice(start, start + 3))
            .find((candidate) => full.indexOf(candidate) >= 5 && !candidate.includes("\uFFFD"));
        expect(stop, `no usable stop string in ${JSON.stringify(full)}`).toBeDefined();
        const stopped = await chat({ max_tokens: 40, temperature: 0, stop: [stop, "never-generated-xyz"] });
        expect(stopped.choices[0].message.content).toBe(full.slice(0, full.indexOf(stop!)));
        expect(stopped.choices[0].finish_reason).toBe("stop");
        expect(stopped.stats.stop_reason).toBe("stopStringFound");
        const single = await chat({ max_tokens: 40, temperature: 0, stop });
        expect(single.choices[0].message.content).toBe(full.slice(0, full.indexOf(stop!)));
    });

    it("accepts text content parts and the developer role", async () => {
        const body = await chat({
            max_tokens: 4,
            messages: [{ role: "developer", content: "Be brief." }, { role: "user", content: [{ type: "text", text: "Hi" }] }]
        });
        expect(body.usage.completion_tokens).toBe(4);
    });

    it("streams one chunk per token, then the finish reason, then usage and stats, then [DONE]", async () => {
        const streamed = await postJson(`${server.url}/api/v0/chat/completions`, { model, messages, max_tokens: 40, seed: 5, stream: true });
        expect(streamed.status).toBe(200);
        expect(streamed.headers.get("content-type")).toContain("text/event-stream");
        const { events } = await readEventStream(streamed);
        expect(events.at(-1)?.data).toBe("[DONE]");
        const chunks = jsonPayloads(events);
        const totals = chunks.at(-1) as Record<string, any>;
        const finish = chunks.at(-2) as Record<string, any>;
        const content = chunks.slice(0, -2) as Array<Record<string, any>>;
        expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
        for (const chunk of chunks) expect(chunk.object).toBe("chat.completion.chunk");
        expect(content[0]!.choices[0].delta.role).toBe("assistant");
        expect(content.length).toBeGreaterThan(10);
        expect(content.every((chunk) => chunk.choices[0].finish_reason === null)).toBe(true);
        expect(finish.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: "length" }]);
        expect(totals.choices).toEqual([]);
        expect(totals.usage.completion_tokens).toBe(40);
        expect(totals.stats.stop_reason).toBe("maxPredictedTokensReached");
        expect(totals.model_info.context_length).toBe(2048);
        expect(totals.runtime.name).toBe(runtimeName);
        const text = content.map((chunk) => chunk.choices[0].delta.content).join("");
        const whole = await chat({ max_tokens: 40, seed: 5 });
        expect(text).toBe(whole.choices[0].message.content);
    });

    it("sends tokens as they are generated, not at the end", async () => {
        const response = await postJson(`${server.url}/api/v0/chat/completions`, { model, messages, max_tokens: 300, seed: 3, stream: true });
        const { events } = await readEventStream(response);
        const firstContent = events[0]!;
        const done = events.at(-1)!;
        expect(done.data).toBe("[DONE]");
        // 300 tokens take many decode steps; had the server buffered, every event would arrive at one instant.
        expect(firstContent.at).toBeLessThan(done.at);
        expect(new Set(events.map((event) => event.at)).size).toBeGreaterThan(10);
    });
});
