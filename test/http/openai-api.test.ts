/**
 * The OpenAI-compatible API through raw HTTP: shapes, tools, structured output, logprobs, reasoning, usage in
 * streams, embeddings, and the same features on LM Studio's v0 endpoints within the v0 schemas.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { ensureFixtures, placeModel, standardModelsFolder } from "../support/fixtures.js";
import { expectSpecValid, specSchemas } from "../support/specSchemas.js";
import { jsonPayloads, readEventStream } from "../support/sse.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
const model = "tiny-chat";
const messages = [{ role: "user", content: "What is the weather in Paris?" }];
const weatherTool = {
    type: "function",
    function: {
        name: "get_weather",
        description: "Current weather for a city",
        parameters: {
            type: "object",
            properties: { city: { type: "string", enum: ["Paris", "Rome", "Oslo"] }, unit: { enum: ["celsius", "fahrenheit"] } },
            required: ["city", "unit"]
        }
    }
};
const timeTool = {
    type: "function",
    function: { name: "get_time", parameters: { type: "object", properties: { utc: { type: "boolean" } }, required: ["utc"] } }
};
const ajv = new Ajv2020({ strict: false });

async function post(path: string, body: Record<string, unknown>) {
    const response = await postJson(`${server.url}${path}`, { model, ...body });
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json();
}

async function stream(path: string, body: Record<string, unknown>) {
    const response = await postJson(`${server.url}${path}`, { model, ...body, stream: true });
    expect(response.status).toBe(200);
    const { events } = await readEventStream(response);
    expect(events.at(-1)?.data).toBe("[DONE]");
    return jsonPayloads<Record<string, any>>(events);
}

beforeAll(async () => {
    const modelsDir = await standardModelsFolder();
    await placeModel(modelsDir, "lmhost-test/Tiny-Reasoner-GGUF/tiny-reasoner-F16.gguf", (await ensureFixtures()).reasoningChat);
    server = await startTestServer({ modelsDir });
});
afterAll(() => server.close());

describe("GET /v1/models", () => {
    it("lists models in OpenAI's shape with lmhost's facts alongside", async () => {
        const body = await (await fetch(`${server.url}/v1/models`)).json();
        expect(body.object).toBe("list");
        expect(body.data[0]).toMatchObject({ id: "tiny-chat", object: "model", owned_by: "lmhost-test", type: "llm", max_context_length: 2048 });
        expect(typeof body.data[0].created).toBe("number");
        const one = await (await fetch(`${server.url}/v1/models/text-embedding-tiny-embed`)).json();
        expect(one).toMatchObject({ id: "text-embedding-tiny-embed", type: "embeddings" });
        expect((await fetch(`${server.url}/v1/models/nope`)).status).toBe(404);
    });
});

describe("POST /v1/chat/completions", () => {
    it("answers in OpenAI's shape", async () => {
        const body = await post("/v1/chat/completions", { messages, max_tokens: 5 });
        expect(body).toMatchObject({ object: "chat.completion", model, choices: [{ index: 0, finish_reason: "length", logprobs: null }] });
        expect(body.choices[0].message).toEqual({ role: "assistant", content: expect.any(String), refusal: null });
        expect(body.usage.completion_tokens).toBe(5);
        expect(body.system_fingerprint).toMatch(/^llama\.cpp-/);
        // llama-server's timings, as its clients read them.
        expect(body.timings).toEqual({
            cache_n: body.usage.prompt_tokens_details.cached_tokens, prompt_n: body.usage.prompt_tokens - body.usage.prompt_tokens_details.cached_tokens,
            prompt_ms: expect.any(Number), predicted_n: 5, predicted_ms: expect.any(Number), predicted_per_second: expect.any(Number)
        });
        expect(body.timings.prompt_ms).toBeGreaterThan(0);
        expect(body.timings.predicted_per_second).toBeCloseTo(4 / (body.timings.predicted_ms / 1000), 0);
    });

    it("forces a call to a named tool and returns it parsed, with a unique id and no raw text", async () => {
        const body = await post("/v1/chat/completions", {
            messages, tools: [weatherTool, timeTool], tool_choice: { type: "function", function: { name: "get_weather" } }
        });
        const choice = body.choices[0];
        expect(choice.finish_reason).toBe("tool_calls");
        expect(choice.message.content).toBeNull();
        expect(choice.message.tool_calls).toHaveLength(1);
        const call = choice.message.tool_calls[0];
        expect(call).toMatchObject({ type: "function", function: { name: "get_weather" } });
        expect(call.id).toMatch(/^call_\w{24}$/);
        const args = JSON.parse(call.function.arguments);
        expect(ajv.validate(weatherTool.function.parameters, args), JSON.stringify(args)).toBe(true);
    });

    it("forces one or more calls with tool_choice required, each valid for its tool", async () => {
        for (const seed of [1, 2, 3]) {
            const body = await post("/v1/chat/completions", { messages, tools: [weatherTool, timeTool], tool_choice: "required", seed });
            const calls = body.choices[0].message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
            expect(calls.length).toBeGreaterThanOrEqual(1);
            expect(new Set(calls.map((call) => call.id)).size).toBe(calls.length);
            for (const call of calls) {
                const tool = [weatherTool, timeTool].find((candidate) => candidate.function.name === call.function.name)!;
                expect(ajv.validate(tool.function.parameters, JSON.parse(call.function.arguments))).toBe(true);
            }
        }
    });

    it("makes exactly one call when parallel_tool_calls is false", async () => {
        const body = await post("/v1/chat/completions", { messages, tools: [weatherTool, timeTool], tool_choice: "required", parallel_tool_calls: false, seed: 9 });
        expect(body.choices[0].message.tool_calls).toHaveLength(1);
    });

    it("streams a forced call as delta.tool_calls pieces: id and name first, then argument fragments", async () => {
        const chunks = await stream("/v1/chat/completions", {
            messages, tools: [weatherTool], tool_choice: { type: "function", function: { name: "get_weather" } }
        });
        const pieces = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
        expect(pieces[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather", arguments: "" } });
        const fragments = pieces.slice(1).map((piece) => piece.function.arguments);
        expect(fragments.length).toBeGreaterThan(3);
        expect(pieces.slice(1).every((piece) => piece.id === undefined && piece.index === 0)).toBe(true);
        expect(ajv.validate(weatherTool.function.parameters, JSON.parse(fragments.join("")))).toBe(true);
        expect(chunks[0]!.choices[0].delta.role).toBe("assistant");
        expect(chunks.at(-1)!.choices[0].finish_reason).toBe("tool_calls");
        expect(chunks.some((chunk) => chunk.choices[0]?.delta.content)).toBe(false);
    });

    it("with tool_choice none, neither renders tools nor returns calls", async () => {
        const withTools = await post("/v1/chat/completions", { messages, tools: [weatherTool], max_tokens: 1 });
        const none = await post("/v1/chat/completions", { messages, tools: [weatherTool], tool_choice: "none", max_tokens: 1 });
        const without = await post("/v1/chat/completions", { messages, max_tokens: 1 });
        expect(withTools.usage.prompt_tokens).toBeGreaterThan(without.usage.prompt_tokens);
        expect(none.usage.prompt_tokens).toBe(without.usage.prompt_tokens);
        expect(none.choices[0].message.tool_calls).toBeUndefined();
    });

    it("renders a conversation with assistant tool_calls and tool results through the template", async () => {
        const conversation = [
            ...messages,
            { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' } }] },
            { role: "tool", tool_call_id: "call_1", content: '{"temperature": 21}' }
        ];
        const body = await post("/v1/chat/completions", { messages: conversation, tools: [weatherTool], max_tokens: 3 });
        const shorter = await post("/v1/chat/completions", { messages, tools: [weatherTool], max_tokens: 3 });
        expect(body.usage.prompt_tokens).toBeGreaterThan(shorter.usage.prompt_tokens + 20);
    });

    it("refuses a tool_choice naming a function that is not among the tools", async () => {
        const response = await postJson(`${server.url}/v1/chat/completions`, {
            model, messages, tools: [weatherTool], tool_choice: { type: "function", function: { name: "launch" } }
        });
        expect(response.status).toBe(400);
        expect((await response.json()).error.param).toBe("tool_choice");
    });

    it("enforces a json_schema response format: the output parses and validates", async () => {
        const schema = {
            type: "object",
            properties: {
                answer: { type: "string", maxLength: 12 },
                confident: { type: "boolean" },
                score: { type: "number" },
                count: { type: "integer" },
                tags: { type: "array", items: { enum: ["a", "b"] }, maxItems: 3 }
            },
            required: ["answer", "confident", "score", "count", "tags"],
            additionalProperties: false
        };
        for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
            const body = await post("/v1/chat/completions", { messages, seed, temperature: 1.5, response_format: { type: "json_schema", json_schema: { name: "answer", strict: true, schema } } });
            expect(body.choices[0].finish_reason).toBe("stop");
            const parsed = JSON.parse(body.choices[0].message.content);
            // Random weights can emit malformed UTF-8 (overlong byte sequences), which llama.cpp's grammar engine
            // counts as one character and JavaScript decodes as a run of U+FFFD; count such a run as one.
            parsed.answer = String(parsed.answer).replace(/\uFFFD+/g, "\uFFFD");
            expect(ajv.validate(schema, parsed), `${body.choices[0].message.content}: ${ajv.errorsText()}`).toBe(true);
        }
    });

    it("enforces json_object: the output is a JSON object", async () => {
        const body = await post("/v1/chat/completions", { messages, seed: 5, max_tokens: 400, response_format: { type: "json_object" } });
        if (body.choices[0].finish_reason === "stop") expect(typeof JSON.parse(body.choices[0].message.content)).toBe("object");
        else expect(body.choices[0].message.content.trimStart().startsWith("{")).toBe(true);
    });

    it("answers 400 naming the construct when the grammar cannot express a schema", async () => {
        const response = await postJson(`${server.url}/v1/chat/completions`, {
            model, messages, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { zip: { type: "string", pattern: "^(\\d)\\1$" } } } } }
        });
        expect(response.status).toBe(400);
        const { error } = await response.json();
        expect(error).toMatchObject({ code: "unsupported_schema", param: "response_format.json_schema.schema" });
        expect(error.message).toContain('"pattern"');
        expect(error.message).toContain("backreference");
        expect(error.message).toContain("/properties/zip");
        const tools = await postJson(`${server.url}/v1/chat/completions`, {
            model, messages, tool_choice: "required",
            tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { n: { type: "integer", multipleOf: 5 } } } } }]
        });
        expect(tools.status).toBe(400);
        expect((await tools.json()).error.param).toBe("tools[0].function.parameters");
    });

    it("returns logprobs with top alternatives", async () => {
        const body = await post("/v1/chat/completions", { messages, max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 3 });
        const content = body.choices[0].logprobs.content;
        expect(content).toHaveLength(4);
        expect(content.map((entry: { token: string }) => entry.token).join("")).toBe(body.choices[0].message.content);
        for (const entry of content) {
            expect(entry.logprob).toBeLessThanOrEqual(0);
            expect(entry.top_logprobs).toHaveLength(3);
            expect(entry.top_logprobs[0].logprob).toBeGreaterThanOrEqual(entry.top_logprobs[1].logprob);
            // Greedy: the chosen token is the most likely one.
            expect(entry.logprob).toBeCloseTo(entry.top_logprobs[0].logprob, 6);
            expect(entry.bytes).toEqual([...new TextEncoder().encode(entry.token)]);
        }
    });

    it("adds a usage chunk to the stream when stream_options.include_usage is set", async () => {
        const chunks = await stream("/v1/chat/completions", { messages, max_tokens: 6, stream_options: { include_usage: true } });
        const last = chunks.at(-1)!;
        expect(last.choices).toEqual([]);
        expect(last.usage).toMatchObject({ completion_tokens: 6, total_tokens: last.usage.prompt_tokens + 6 });
        expect(last.timings).toMatchObject({ predicted_n: 6, prompt_n: expect.any(Number), predicted_per_second: expect.any(Number) });
        expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null && chunk.timings === undefined)).toBe(true);
        const plain = await stream("/v1/chat/completions", { messages, max_tokens: 6 });
        expect(plain.every((chunk) => chunk.usage === undefined && chunk.choices.length === 1)).toBe(true);
    });

    it("puts a reasoning model's thinking in reasoning_content, not content", async () => {
        const body = await post("/v1/chat/completions", { model: "tiny-reasoner", messages, max_tokens: 20, seed: 2 });
        expect(body.choices[0].message.reasoning_content.length).toBeGreaterThan(0);
        expect(body.choices[0].message.content).toBe("");
        const chunks = await stream("/v1/chat/completions", { model: "tiny-reasoner", messages, max_tokens: 20, seed: 2 });
        const reasoning = chunks.map((chunk) => chunk.choices[0]?.delta.reasoning_content ?? "").join("");
        expect(reasoning).toBe(body.choices[0].message.reasoning_content);
        expect(chunks.every((chunk) => chunk.choices[0]?.delta.content === undefined)).toBe(true);
        const raw = await (await postJson(`${server.url}/api/v0/chat/completions`, { model: "tiny-reasoner", messages, max_tokens: 20, seed: 2 })).json();
        expect(raw.choices[0].message.content).toBe(body.choices[0].message.reasoning_content);
    });
});

describe("POST /v1/completions", () => {
    it("completes a prompt, with legacy logprobs", async () => {
        const body = await post("/v1/completions", { prompt: "Once upon a time", max_tokens: 5, temperature: 0, logprobs: 2 });
        expect(body).toMatchObject({ object: "text_completion", choices: [{ index: 0, finish_reason: "length" }] });
        const { logprobs } = body.choices[0];
        expect(logprobs.tokens).toHaveLength(5);
        expect(logprobs.tokens.join("")).toBe(body.choices[0].text);
        expect(logprobs.text_offset[0]).toBe(0);
        expect(Object.keys(logprobs.top_logprobs[0])).toHaveLength(2);
        const array = await post("/v1/completions", { prompt: ["Once upon a time"], max_tokens: 5, temperature: 0 });
        expect(array.choices[0].text).toBe(body.choices[0].text);
    });

    it("refuses several prompts, echo and suffix clearly", async () => {
        for (const extra of [{ prompt: ["a", "b"] }, { prompt: "a", echo: true }, { prompt: "a", suffix: "b" }]) {
            const response = await postJson(`${server.url}/v1/completions`, { model, ...extra });
            expect(response.status, JSON.stringify(extra)).toBe(400);
        }
    });
});

describe("POST /v1/embeddings", () => {
    it("returns float vectors, or base64 little-endian float32 that decodes to the same vector", async () => {
        const floats = await post("/v1/embeddings", { model: "text-embedding-tiny-embed", input: ["hello", "world"] });
        const encoded = await post("/v1/embeddings", { model: "text-embedding-tiny-embed", input: ["hello", "world"], encoding_format: "base64" });
        expect(floats.data).toHaveLength(2);
        const bytes = Buffer.from(encoded.data[1].embedding, "base64");
        const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
        decoded.forEach((value, index) => expect(value).toBeCloseTo(floats.data[1].embedding[index], 6));
        expect(floats.usage.prompt_tokens).toBe(6);
    });

    it("accepts dimensions equal to the model's and refuses others clearly", async () => {
        expect((await post("/v1/embeddings", { model: "text-embedding-tiny-embed", input: "x", dimensions: 64 })).data[0].embedding).toHaveLength(64);
        const response = await postJson(`${server.url}/v1/embeddings`, { model: "text-embedding-tiny-embed", input: "x", dimensions: 32 });
        expect(response.status).toBe(400);
        expect((await response.json()).error).toMatchObject({ param: "dimensions", message: expect.stringContaining("64-dimensional") });
    });
});

describe("the v0 endpoints with tools, structured output and logprobs", () => {
    it("keep to LM Studio's v0 schema: forced calls come as the model's own text, with finish_reason tool_calls", async () => {
        const body = await post("/api/v0/chat/completions", { messages, tools: [weatherTool], tool_choice: "required", parallel_tool_calls: false });
        expectSpecValid(specSchemas.chatCompletion, body);
        expect(body.choices[0].finish_reason).toBe("tool_calls");
        expect(body.stats.stop_reason).toBe("toolCalls");
        const text: string = body.choices[0].message.content;
        const json = text.replace(/^\s*<tool_call>/, "").replace(/<\/tool_call>\s*$/, "");
        expect(JSON.parse(json)).toMatchObject({ name: "get_weather" });
    });

    it("keep to the v0 schema with response_format and logprobs", async () => {
        const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
        const chat = await post("/api/v0/chat/completions", { messages, response_format: { type: "json_schema", json_schema: { name: "x", schema } }, logprobs: true });
        expectSpecValid(specSchemas.chatCompletion, chat);
        expect(ajv.validate(schema, JSON.parse(chat.choices[0].message.content))).toBe(true);
        expect(chat.choices[0].logprobs.content.length).toBe(chat.usage.completion_tokens);
        const completion = await post("/api/v0/completions", { prompt: "JSON:", response_format: { type: "json_schema", json_schema: { name: "x", schema } }, logprobs: 1 });
        expectSpecValid(specSchemas.completion, completion);
        expect(ajv.validate(schema, JSON.parse(completion.choices[0].text))).toBe(true);
    });
});
