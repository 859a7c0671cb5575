/**
 * The official `ollama` client against lmhost's Ollama API: chat and generate (streaming and not), embed, format
 * with a schema, tools and thinking on a real family's template (a scripted Qwen3), keep_alive, errors. The
 * responses are typed by the client's own definitions, so tsc checks their shapes; the model routes (list, show,
 * ps, pull, delete) are in test/http/ollama-models.test.ts.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ollama, type ChatResponse, type EmbedResponse, type GenerateResponse } from "ollama";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { familyModelsFolder } from "../support/familyFixtures.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { answerText, reasoningText } from "../support/gguf/familyModels.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
let families: RunningServer;
let ollama: Ollama;
let familyOllama: Ollama;
const messages = [{ role: "user", content: "What is the weather in Paris?" }];

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
    families = await startTestServer({ modelsDir: (await familyModelsFolder(["qwen3"])).folder, contextLength: 8192 });
    ollama = new Ollama({ host: server.url });
    familyOllama = new Ollama({ host: families.url });
}, 120_000);
afterAll(async () => {
    await server?.close();
    await families?.close();
});

/** Ollama's metrics: counts, and durations in nanoseconds that add up. */
function expectMetrics(answer: ChatResponse | GenerateResponse, maxTokens: number) {
    expect(answer.done).toBe(true);
    expect(answer.eval_count).toBeGreaterThan(0);
    expect(answer.eval_count).toBeLessThanOrEqual(maxTokens);
    expect(answer.prompt_eval_count).toBeGreaterThan(0);
    for (const duration of [answer.total_duration, answer.eval_duration, answer.prompt_eval_duration]) expect(Number.isInteger(duration)).toBe(true);
    expect(answer.total_duration).toBeGreaterThanOrEqual(answer.eval_duration);
    expect(answer.total_duration).toBeGreaterThan(1e5);
    expect(new Date(answer.created_at).getTime()).toBeGreaterThan(Date.now() - 120_000);
}

describe("chat", () => {
    it("answers at once with stream: false, the model named as the request named it", async () => {
        const answer = await ollama.chat({ model: "tiny-chat:latest", messages, stream: false, options: { num_predict: 5, seed: 3, temperature: 0 } });
        expect(answer.model).toBe("tiny-chat:latest");
        expect(answer.message.role).toBe("assistant");
        expect(answer.done_reason).toBe("length");
        expectMetrics(answer, 5);
        const again = await ollama.chat({ model: "tiny-chat", messages, stream: false, options: { num_predict: 5, seed: 3, temperature: 0 } });
        expect(again.message.content, "same seed and options, same answer").toBe(answer.message.content);
    });

    it("streams NDJSON pieces that add up to the answer, then the metrics", async () => {
        const options = { num_predict: 8, temperature: 0 };
        const whole = await ollama.chat({ model: "tiny-chat", messages, stream: false, options });
        const parts: ChatResponse[] = [];
        for await (const part of await ollama.chat({ model: "tiny-chat", messages, stream: true, options })) parts.push(part);
        expect(parts.length).toBeGreaterThan(2);
        expect(parts.slice(0, -1).every((part) => !part.done)).toBe(true);
        const last = parts[parts.length - 1]!;
        expectMetrics(last, 8);
        expect(parts.map((part) => part.message.content).join("")).toBe(whole.message.content);
    });

    it("holds format to a JSON Schema", async () => {
        const schema = { type: "object", properties: { city: { type: "string", maxLength: 10 }, days: { type: "integer", minimum: 1, maximum: 7 } }, required: ["city", "days"], additionalProperties: false };
        const answer = await ollama.chat({ model: "tiny-chat", messages, stream: false, format: schema, options: { temperature: 1.5, seed: 9 } });
        expect(new Ajv2020().validate(schema, JSON.parse(answer.message.content))).toBe(true);
    });

    it("reads a family's tool calls into tool_calls with object arguments, and takes the result back", async () => {
        const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
        const answer = await familyOllama.chat({ model: "qwen3-call", messages, tools, stream: false, options: { num_predict: 200 } });
        expect(answer.message.tool_calls?.[0]?.function).toMatchObject({ name: "get_weather", arguments: { city: "Paris" } });
        const streamed: ChatResponse[] = [];
        for await (const part of await familyOllama.chat({ model: "qwen3-call", messages, tools, stream: true, options: { num_predict: 200 } })) streamed.push(part);
        expect(streamed.flatMap((part) => part.message.tool_calls ?? []).map((call) => call.function)).toEqual([{ index: 0, name: "get_weather", arguments: { city: "Paris" } }]);
        const followUp = await familyOllama.chat({
            model: "qwen3-call", tools, stream: false, options: { num_predict: 200 },
            messages: [...messages, answer.message, { role: "tool", content: "{\"temperature\": 21}", tool_name: "get_weather" }]
        });
        expect(followUp.done).toBe(true);
    });

    it("gives a thinking model's reasoning in thinking, apart from the content, streaming and not", async () => {
        const answer = await familyOllama.chat({ model: "qwen3-reasoning", messages, think: true, stream: false, options: { num_predict: 200 } });
        expect(answer.message.thinking).toBe(reasoningText);
        expect(answer.message.content).toBe(answerText);
        const pieces: ChatResponse[] = [];
        for await (const part of await familyOllama.chat({ model: "qwen3-reasoning", messages, think: true, stream: true, options: { num_predict: 200 } })) pieces.push(part);
        expect(pieces.map((part) => part.message.thinking ?? "").join("")).toBe(reasoningText);
    });
});

describe("generate", () => {
    it("generates through the chat template, streaming and not, and raw as is", async () => {
        const options = { num_predict: 6, temperature: 0 };
        const whole: GenerateResponse = await ollama.generate({ model: "tiny-chat", prompt: "Once upon a time", system: "Be brief.", stream: false, options });
        expectMetrics(whole, 6);
        let streamed = "";
        for await (const part of await ollama.generate({ model: "tiny-chat", prompt: "Once upon a time", system: "Be brief.", stream: true, options })) streamed += part.response;
        expect(streamed).toBe(whole.response);
        const raw = await ollama.generate({ model: "tiny-chat", prompt: "Once upon a time", raw: true, stream: false, options });
        expect(raw.prompt_eval_count, "no template around a raw prompt").toBeLessThan(whole.prompt_eval_count);
    });

    it("loads a model for an empty prompt, and unloads it with keep_alive 0", async () => {
        const loaded = await ollama.generate({ model: "tiny-chat", prompt: "", keep_alive: "10m", stream: false });
        expect(loaded.done_reason).toBe("load");
        expect(server.lifecycle.instances().find((instance) => instance.entry.id === "tiny-chat")?.ttlSeconds).toBe(600);
        const unloaded = await ollama.generate({ model: "tiny-chat", prompt: "", keep_alive: 0, stream: false });
        expect(unloaded.done_reason).toBe("unload");
        expect(server.lifecycle.instances().some((instance) => instance.entry.id === "tiny-chat")).toBe(false);
    });

    it("unloads the model after a request with keep_alive 0, and keeps it for ever with a negative one", async () => {
        await ollama.generate({ model: "tiny-chat", prompt: "Hi", keep_alive: 0, stream: false, options: { num_predict: 1 } });
        // The unload runs on the idle timer, once the request has ended.
        await vi.waitFor(() => expect(server.lifecycle.instances().some((instance) => instance.entry.id === "tiny-chat")).toBe(false));
        await ollama.chat({ model: "tiny-chat", messages, keep_alive: -1, stream: false, options: { num_predict: 1 } });
        expect(server.lifecycle.instances().find((instance) => instance.entry.id === "tiny-chat")?.ttlSeconds).toBeNull();
    });
});

describe("embeddings", () => {
    it("embeds one input or several, normalized, and the older route too", async () => {
        const answer: EmbedResponse = await ollama.embed({ model: "text-embedding-tiny-embed", input: ["hello", "world"] });
        expect(answer.embeddings).toHaveLength(2);
        expect(Math.hypot(...answer.embeddings[0]!)).toBeCloseTo(1, 5);
        expect(answer.prompt_eval_count).toBeGreaterThan(0);
        const single = await ollama.embed({ model: "text-embedding-tiny-embed", input: "hello" });
        expect(single.embeddings[0]).toEqual(answer.embeddings[0]);
        const older = await ollama.embeddings({ model: "text-embedding-tiny-embed", prompt: "hello" });
        expect(older.embedding).toEqual(answer.embeddings[0]);
    });
});

describe("errors", () => {
    it("raises the client's error with Ollama's status and message", async () => {
        const failure = await ollama.chat({ model: "no-such-model", messages, stream: false }).catch((error: unknown) => error);
        expect(failure).toMatchObject({ name: "ResponseError", status_code: 404 });
        expect((failure as Error).message).toContain("no-such-model");
        const images = await ollama.chat({ model: "tiny-chat", messages: [{ role: "user", content: "?", images: ["aGk="] }], stream: false }).catch((error: unknown) => error);
        expect(images).toMatchObject({ status_code: 400 });
        const response = await postJson(`${server.url}/api/generate`, { model: "tiny-chat", prompt: "x", template: "{{ .Prompt }}" });
        expect(response.status).toBe(400);
        expect(Object.keys(await response.json())).toEqual(["error"]);
        const badKeepAlive = await postJson(`${server.url}/api/chat`, { model: "tiny-chat", messages, keep_alive: "soon" });
        expect(await badKeepAlive.json()).toEqual({ error: expect.stringContaining("keep_alive") });
    });
});
