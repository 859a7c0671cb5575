/**
 * LM Studio 0.4's POST /api/v1/chat on the real engine: output items and stats, stored conversations, and the
 * stream's events, with the load's and the prompt's progress as they happen.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { ensureFixtures, placeModel, standardModelsFolder } from "../support/fixtures.js";
import { jsonPayloads, readEventStream } from "../support/sse.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
const chat = (body: Record<string, unknown>) => postJson(`${server.url}/api/v1/chat`, body);
/** Several hundred tokens (about 900 for the test tokenizer). */
const longInput = Array.from({ length: 300 }, (_, index) => ["weather", "river", "garden", "window", "morning"][index % 5]).join(" ");

beforeAll(async () => {
    const folder = await standardModelsFolder();
    await placeModel(folder, "lmhost-test/tiny-reasoner-GGUF/tiny-reasoner.gguf", (await ensureFixtures()).reasoningChat);
    server = await startTestServer({ modelsDir: folder, maxJitModels: 4 });
});
afterAll(() => server.close());

describe("POST /api/v1/chat", () => {
    it("streams the load's progress, the prompt's progress, the message, then chat.end with the result", async () => {
        const response = await chat({ model: "tiny-chat", input: longInput, max_output_tokens: 6, temperature: 0, stream: true });
        expect(response.headers.get("content-type")).toContain("text/event-stream");
        const events = jsonPayloads<{ type: string; progress?: number; model_instance_id?: string; result?: Record<string, any> }>((await readEventStream(response)).events);
        const types = events.map((event) => event.type);
        expect(types[0]).toBe("chat.start");
        expect(types.at(-1)).toBe("chat.end");
        // The model was not loaded: its load is reported as it goes.
        expect(types.slice(0, 2)).toEqual(["chat.start", "model_load.start"]);
        const loadProgress = events.filter((event) => event.type === "model_load.progress").map((event) => event.progress!);
        expect(loadProgress.length).toBeGreaterThan(0);
        expect(loadProgress.every((progress) => progress > 0 && progress <= 1)).toBe(true);
        expect(types.indexOf("model_load.end")).toBeGreaterThan(types.lastIndexOf("model_load.progress"));
        const promptProgress = events.filter((event) => event.type === "prompt_processing.progress").map((event) => event.progress!);
        expect(promptProgress[0]).toBe(0);
        expect(promptProgress.at(-1)).toBe(1);
        expect(types.indexOf("prompt_processing.start")).toBeLessThan(types.indexOf("prompt_processing.end"));
        expect(types.indexOf("prompt_processing.end")).toBeLessThan(types.indexOf("message.start"));
        expect(types.indexOf("message.end")).toBeLessThan(types.indexOf("chat.end"));
        const result = events.at(-1)!.result!;
        expect(result.model_instance_id).toBe("tiny-chat");
        expect(result.output).toEqual([{ type: "message", content: expect.any(String) }]);
        expect(result.stats).toMatchObject({ total_output_tokens: 6, reasoning_output_tokens: 0 });
        expect(result.stats.input_tokens).toBeGreaterThan(600);
        expect(result.stats.model_load_time_seconds).toBeGreaterThan(0);
        expect(result.response_id).toMatch(/^resp_/);
        // Loaded now: no load events, no load time.
        const again = jsonPayloads<{ type: string; result?: Record<string, any> }>((await readEventStream(await chat({ model: "tiny-chat", input: "Hi", max_output_tokens: 2, stream: true }))).events);
        expect(again.map((event) => event.type)).not.toContain("model_load.start");
        expect(again.at(-1)!.result!.stats.model_load_time_seconds).toBeUndefined();
    });

    it("reports a long prompt's evaluation as its batches go", async () => {
        // Batches of 32 tokens: over 30 batches for this prompt, seen as they go.
        await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat", identifier: "small-batches", eval_batch_size: 32 });
        // Another text than the first test's, which the prompt cache holds by now.
        const response = await chat({ model: "small-batches", input: `Once more: ${longInput}`, max_output_tokens: 2, stream: true });
        const events = jsonPayloads<{ type: string; progress?: number }>((await readEventStream(response)).events);
        const promptProgress = events.filter((event) => event.type === "prompt_processing.progress").map((event) => event.progress!);
        expect(promptProgress.filter((progress) => progress > 0 && progress < 1).length).toBeGreaterThan(2);
        expect([...promptProgress].sort((a, b) => a - b)).toEqual(promptProgress);
        expect(promptProgress.at(-1)).toBe(1);
    });

    it("answers with output items and stats, and continues a stored conversation", async () => {
        const first = await (await chat({ model: "tiny-chat", input: "Hello there", system_prompt: "Be brief.", max_output_tokens: 4, temperature: 0 })).json();
        expect(first).toMatchObject({ model_instance_id: "tiny-chat", output: [{ type: "message" }], stats: { total_output_tokens: 4 } });
        const next = await (await chat({ model: "tiny-chat", input: "And then?", previous_response_id: first.response_id, max_output_tokens: 4, temperature: 0 })).json();
        // The stored turns come first: the prompt holds the first exchange too.
        expect(next.stats.input_tokens).toBeGreaterThan(first.stats.input_tokens + 4);
        const unstored = await (await chat({ model: "tiny-chat", input: "Hi", store: false, max_output_tokens: 2 })).json();
        expect(unstored.response_id).toBeUndefined();
    });

    it("returns reasoning as its own output item and events", async () => {
        const response = await chat({ model: "tiny-reasoner", input: "Think", max_output_tokens: 5, stream: true });
        const events = jsonPayloads<{ type: string; result?: Record<string, any> }>((await readEventStream(response)).events);
        const types = events.map((event) => event.type);
        expect(types).toContain("reasoning.start");
        expect(types).toContain("reasoning.delta");
        expect(events.at(-1)!.result!.output[0].type).toBe("reasoning");
    });

    it("refuses MCP integrations and unknown conversations with clear errors", async () => {
        const integrations = await chat({ model: "tiny-chat", input: "Hi", integrations: [{ type: "ephemeral_mcp", server_label: "x", server_url: "http://x" }] });
        expect(integrations.status).toBe(400);
        expect((await integrations.json()).error.message).toMatch(/MCP integrations .* are not supported/);
        const unknown = await chat({ model: "tiny-chat", input: "Hi", previous_response_id: "resp_nothing" });
        expect(unknown.status).toBe(404);
        expect((await chat({ model: "no-such-model", input: "Hi", stream: true })).status).toBe(404);
    });
});
