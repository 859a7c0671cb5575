/**
 * Property-based fuzzing of every POST endpoint: bodies that are nearly right (each field valid, out of range,
 * of the wrong type or missing), plus arbitrary JSON and text. Whatever arrives, the answer is a documented
 * shape (the route's own response schema, its stream chunks, or the error envelope), never a 500, and the
 * server keeps serving.
 */
import { readFile } from "node:fs/promises";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorEnvelope } from "../../src/schemas/errorEnvelope.js";
import { OpenAiChatChunk, OpenAiChatResponse } from "../../src/schemas/openai/chat.js";
import { OpenAiCompletionChunk, OpenAiCompletionResponse } from "../../src/schemas/openai/completions.js";
import { OpenAiEmbeddingResponse } from "../../src/schemas/openai/embeddings.js";
import { V0ChatChunk, V0ChatResponse } from "../../src/schemas/v0/chat.js";
import { V0CompletionChunk, V0CompletionResponse } from "../../src/schemas/v0/completions.js";
import { V0EmbeddingResponse } from "../../src/schemas/v0/embeddings.js";
import { OllamaChatResponse, OllamaEmbedResponse, OllamaGenerateResponse } from "../../src/schemas/ollama/generation.js";
import { OllamaError } from "../../src/schemas/ollama/models.js";
import { V1DownloadJob, V1LoadResponse, V1UnloadResponse } from "../../src/schemas/v1/models.js";
import type { RunningServer } from "../../src/server.js";
import { ensureFixtures, standardModelsFolder } from "../support/fixtures.js";
import { startHubStandIn, type HubStandIn } from "../support/hubStandIn.js";
import { readEventStream } from "../support/sse.js";
import { startTestServer } from "../support/testServer.js";

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const compile = (schema: object): ValidateFunction => ajv.compile(structuredClone(schema));
const openAiErrorShape = compile(ErrorEnvelope);
const ollamaErrorShape = compile(OllamaError);

// ---- Arbitraries: a body valid by the schema, then half the time one field made wrong: out of range, of the
// wrong type, or missing. One wrong field at a time keeps most bodies reaching the engine and makes every
// rejection name the field that caused it.
const junk = fc.oneof(
    fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 8 }),
    fc.constant([]), fc.constant({}), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 })
);
const text = fc.oneof({ arbitrary: fc.string({ maxLength: 40 }), weight: 12 }, { arbitrary: fc.string({ unit: "binary", maxLength: 20 }), weight: 6 },
    fc.constant(""), fc.constant("a ".repeat(60)));
const overlongText = fc.constantFrom("a".repeat(3000), "word ".repeat(400));
const wrongModelNames = fc.constantFrom("tiny-chat", "text-embedding-tiny-embed", "no-such-model", "../../../etc/passwd", "tiny-chat/../../x",
    "%2e%2e%2fetc", "tiny\u0000chat", "/etc/passwd", "");
const between = (min: number, max: number) => fc.double({ min, max, noNaN: true });
const outside = (min: number, max: number) => fc.oneof(between(max + 1e-9, max + 100), between(min - 100, min - 1e-9), fc.constantFrom(1e308, -1e308));
const maxTokens = fc.oneof(fc.integer({ min: -1, max: 8 }), fc.constantFrom(null, 1_000_000));
const jsonSchemas = fc.constantFrom<object>(
    { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    { type: "object", properties: { nested: { type: "object", properties: { deeper: { type: "array", items: { enum: ["a", 1, null] } } } } } },
    { type: "array", items: { type: "integer", minimum: -3, maximum: 3 }, maxItems: 4 }, { type: "boolean" }, {}
);
const unsatisfiableOrUnsupportedSchemas = fc.constantFrom<object>(
    { type: "array", items: { type: "integer" }, minItems: 3, maxItems: 1 }, { type: "integer", minimum: 5, maximum: 2 },
    { enum: [] }, { $ref: "#/nowhere" }, { type: "nonsense" }, { anyOf: [] }, { type: "string", pattern: "([" }
);
const contentPart = fc.record({ type: fc.constant("text"), text });
const message = fc.record({
    role: fc.oneof({ arbitrary: fc.constantFrom("system", "user", "user", "assistant"), weight: 12 }, fc.constantFrom("developer", "tool")),
    content: fc.oneof({ arbitrary: text, weight: 6 }, fc.constant(null), fc.array(contentPart, { maxLength: 3 })),
    name: fc.string({ maxLength: 8 }),
    tool_call_id: fc.string({ maxLength: 8 }),
    tool_calls: fc.array(fc.record({
        id: fc.string({ maxLength: 6 }), type: fc.constant("function"),
        function: fc.record({ name: fc.string({ maxLength: 8 }), arguments: fc.oneof(fc.string({ maxLength: 12 }), fc.constant('{"city":"Paris"}')) })
    }), { maxLength: 2 })
}, { requiredKeys: ["role"] });
const wrongMessages = fc.oneof(fc.constant([]), fc.array(fc.record({ role: fc.constant("user"), content: overlongText }), { minLength: 1, maxLength: 1 }),
    fc.array(fc.record({ role: fc.constant("user"), content: fc.array(fc.record({ type: fc.constantFrom("image_url", "input_audio", "file") }), { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 1 }), fc.array(fc.record({ role: fc.constantFrom("robot", "", "USER", "function") , content: text }), { minLength: 1, maxLength: 2 }),
    fc.array(fc.record({ content: text }), { minLength: 1, maxLength: 2 }), fc.array(junk, { minLength: 1, maxLength: 2 }));
const tool = fc.record({
    type: fc.constant("function"),
    function: fc.record({ name: fc.stringMatching(/^[a-z_]{1,8}$/), description: fc.string({ maxLength: 10 }), parameters: jsonSchemas }, { requiredKeys: ["name"] })
});
const responseFormat = fc.oneof(fc.record({ type: fc.constantFrom("text", "json_object") }),
    fc.record({ type: fc.constant("json_schema"), json_schema: fc.record({ name: fc.string({ maxLength: 8 }), schema: jsonSchemas, strict: fc.boolean() }, { requiredKeys: [] }) }));

type Fields = Record<string, fc.Arbitrary<unknown>>;
/** Fields valid by the schema; what the engine makes of them is for the server to answer. */
const samplingFields: Fields = {
    temperature: between(0, 2), top_p: between(0, 1), top_k: fc.integer({ min: 0, max: 100 }), min_p: between(0, 1),
    repeat_penalty: between(0.01, 10), presence_penalty: between(-2, 2), frequency_penalty: between(-2, 2),
    seed: fc.oneof(fc.integer(), fc.constantFrom(Number.MAX_SAFE_INTEGER, -1)), stop: fc.oneof(text, fc.array(text, { maxLength: 16 })),
    max_tokens: maxTokens, max_completion_tokens: maxTokens,
    logit_bias: fc.oneof(fc.constant(null), fc.dictionary(fc.integer({ min: 0, max: 300 }).map(String), between(-100, 100), { maxKeys: 4 })),
    stream: fc.boolean(), stream_options: fc.oneof(fc.constant(null), fc.record({ include_usage: fc.boolean() }, { requiredKeys: [] })),
    n: fc.constant(1), ttl: fc.integer({ min: 1, max: 100 }), cache_prompt: fc.boolean()
};
/** Values the schema or the server must refuse, field by field (any field may also get junk of another type). */
const samplingMistakes: Fields = {
    temperature: outside(0, 2), top_p: outside(0, 1), top_k: fc.integer({ min: -100, max: -1 }), min_p: outside(0, 1),
    repeat_penalty: fc.oneof(fc.constant(0), outside(0, 10)), presence_penalty: outside(-2, 2), frequency_penalty: outside(-2, 2),
    seed: fc.constantFrom(0.5, 2 ** 64), stop: fc.array(text, { minLength: 17, maxLength: 20 }),
    max_tokens: fc.constantFrom(-2, 1_000_001, 2 ** 31, 0.5), max_completion_tokens: fc.constantFrom(-5, 1e9, 1.5),
    logit_bias: fc.dictionary(fc.oneof(fc.integer({ min: -5, max: -1 }).map(String), fc.constantFrom("1e99", "abc", "", "999999999")), between(-100, 100), { minKeys: 1, maxKeys: 2 }),
    n: fc.integer({ min: 2, max: 10 }), ttl: fc.integer({ min: -10, max: 0 })
};
const extraFields = fc.dictionary(fc.constantFrom("user", "metadata", "store", "__proto__", "constructor"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });

function bodies(valid: Fields, required: string[], mistakes: Fields): fc.Arbitrary<Record<string, unknown>> {
    const mistake = fc.constantFrom(...Object.keys(valid)).chain((field) =>
        fc.oneof(...(mistakes[field] ? [mistakes[field]!, mistakes[field]!] : []), junk, fc.constant(undefined)).map((value) => ({ field, value })));
    return fc.tuple(fc.record(valid, { requiredKeys: required }), fc.option(mistake, { freq: 2 }), fc.option(extraFields, { freq: 4 }))
        .map(([body, wrong, extra]) => {
            const result: Record<string, unknown> = { ...extra, ...body };
            if (wrong && wrong.value === undefined) delete result[wrong.field];
            else if (wrong) result[wrong.field] = wrong.value;
            return result;
        });
}

const chatBody = bodies({
    model: fc.constant("tiny-chat"), messages: fc.array(message, { minLength: 1, maxLength: 4 }), ...samplingFields,
    tools: fc.array(tool, { maxLength: 2 }),
    tool_choice: fc.constantFrom("none", "auto"),
    parallel_tool_calls: fc.boolean(), logprobs: fc.boolean(), top_logprobs: fc.integer({ min: 0, max: 20 }), response_format: responseFormat,
    reasoning_effort: fc.constantFrom("none", "minimal", "low", "medium", "high"),
    chat_template_kwargs: fc.dictionary(fc.constantFrom("enable_thinking", "reasoning_effort", "add_generation_prompt", "bos_token", "x"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
}, ["model", "messages"], {
    reasoning_effort: fc.constantFrom("extreme", "", "NONE"), chat_template_kwargs: fc.oneof(fc.string(), fc.array(fc.integer())),
    ...samplingMistakes, model: wrongModelNames, messages: wrongMessages, top_logprobs: fc.constantFrom(-1, 21, 100),
    tool_choice: fc.oneof(fc.constantFrom("sometimes", "function"), fc.record({ type: fc.constant("function"), function: fc.record({ name: fc.stringMatching(/^[a-z_]{1,8}$/) }) })),
    response_format: fc.oneof(fc.record({ type: fc.constantFrom("xml", "yaml", "") }),
        fc.record({ type: fc.constant("json_schema"), json_schema: fc.record({ schema: unsatisfiableOrUnsupportedSchemas }) })),
    tools: fc.oneof(fc.array(fc.record({ type: fc.constantFrom("retrieval", "code_interpreter"), function: fc.record({ name: fc.constantFrom("", "has space", "é") }) }), { minLength: 1, maxLength: 1 }),
        fc.array(fc.record({ type: fc.constant("function"), function: fc.record({ name: fc.constant("f"), parameters: unsatisfiableOrUnsupportedSchemas }) }), { minLength: 1, maxLength: 1 }))
});
const completionBody = bodies({
    model: fc.constant("tiny-chat"), prompt: fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 1 })), ...samplingFields,
    logprobs: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(null)), echo: fc.constant(false), suffix: fc.constant(null),
    best_of: fc.constant(1), response_format: responseFormat
}, ["model", "prompt"], {
    ...samplingMistakes, model: wrongModelNames, prompt: fc.oneof(fc.constant([]), overlongText, fc.array(text, { minLength: 2, maxLength: 3 }), fc.array(fc.integer(), { minLength: 1, maxLength: 3 })),
    logprobs: fc.constantFrom(-1, 21, true), echo: fc.constant(true), suffix: fc.constant("end"), best_of: fc.integer({ min: 2, max: 5 }),
    response_format: fc.record({ type: fc.constant("json_schema"), json_schema: fc.record({ schema: unsatisfiableOrUnsupportedSchemas }) })
});
const embeddingInput = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
    fc.array(fc.string({ minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 6 }));
const embeddingBody = bodies({
    model: fc.constant("text-embedding-tiny-embed"), input: embeddingInput,
    encoding_format: fc.constantFrom("float", "base64"), dimensions: fc.constant(64), user: fc.string({ maxLength: 5 }), ttl: fc.integer({ min: 1, max: 100 })
}, ["model", "input"], {
    model: wrongModelNames, input: fc.oneof(fc.constant(""), fc.constant([]), fc.constant([""]), fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 5 }),
        fc.constant(Array.from({ length: 2049 }, () => "x")), fc.constant("word ".repeat(600))),
    encoding_format: fc.constantFrom("binary", "FLOAT", ""), dimensions: fc.oneof(fc.integer({ min: -5, max: 63 }), fc.integer({ min: 65, max: 5000 })), ttl: fc.integer({ min: -10, max: 0 })
});
// Ollama's API: its options object, keep_alive, format, think; its messages and their mistakes. The chat model by
// its full id: the download fuzz above adds a second tiny-chat, which makes "tiny-chat" ambiguous once it lands.
const fullChatModel = "lmhost-test/tiny-chat-gguf/tiny-chat-f16";
const ollamaOptions = fc.record({
    num_predict: fc.integer({ min: -2, max: 8 }), num_ctx: fc.constantFrom(128, 256), temperature: between(0, 2), top_k: fc.integer({ min: 0, max: 100 }),
    top_p: between(0, 1), min_p: between(0, 1), repeat_penalty: between(0.01, 10), repeat_last_n: fc.integer({ min: -1, max: 128 }),
    presence_penalty: between(-2, 2), frequency_penalty: between(-2, 2), seed: fc.integer(), stop: fc.array(text, { maxLength: 4 }),
    mirostat: fc.constant(0), num_gpu: fc.integer({ min: 0, max: 99 }), num_thread: fc.integer({ min: 1, max: 8 })
}, { requiredKeys: [] });
const ollamaOptionMistakes = fc.oneof(
    fc.record({ temperature: outside(0, 2) }), fc.record({ top_p: outside(0, 1) }), fc.record({ num_predict: fc.constantFrom(-3, 0.5, 2e6) }),
    fc.record({ repeat_last_n: fc.constantFrom(-2, 1.5) }), fc.record({ stop: fc.array(text, { minLength: 17, maxLength: 18 }) }), fc.record({ num_ctx: fc.constantFrom(0, -1) }));
const ollamaCommon: Fields = {
    stream: fc.boolean(), options: ollamaOptions, keep_alive: fc.constantFrom("5m", "10s", 30, -1, "1h30m", "-1m"),
    format: fc.oneof(fc.constantFrom("json", ""), jsonSchemas), think: fc.constantFrom(true, false, "low", "medium", "high")
};
const ollamaCommonMistakes: Fields = {
    model: wrongModelNames, options: ollamaOptionMistakes, keep_alive: fc.constantFrom("soon", "5 minutes", "", "m"),
    format: fc.oneof(fc.constantFrom("xml", "JSON"), unsatisfiableOrUnsupportedSchemas), think: fc.constantFrom("max", "", "none")
};
const ollamaMessage = fc.record({
    role: fc.oneof({ arbitrary: fc.constantFrom("system", "user", "user", "assistant"), weight: 10 }, fc.constant("tool")),
    content: text, tool_name: fc.constantFrom("get_weather", "f"),
    tool_calls: fc.array(fc.record({ function: fc.record({ name: fc.constantFrom("get_weather", "f"), arguments: fc.dictionary(fc.constantFrom("city", "n"), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }) }) }), { maxLength: 1 })
}, { requiredKeys: ["role", "content"] });
const ollamaChatBody = bodies({
    model: fc.constantFrom(fullChatModel, `${fullChatModel}:latest`), messages: fc.array(ollamaMessage, { minLength: 1, maxLength: 4 }), ...ollamaCommon,
    tools: fc.array(fc.record({ type: fc.constant("function"), function: fc.record({ name: fc.constantFrom("get_weather", "f"), parameters: jsonSchemas }, { requiredKeys: ["name"] }) }), { maxLength: 2 })
}, ["model", "messages"], {
    ...ollamaCommonMistakes,
    messages: fc.oneof(fc.array(fc.record({ role: fc.constantFrom("robot", ""), content: text }), { minLength: 1, maxLength: 2 }),
        fc.array(fc.record({ role: fc.constant("user"), content: text, images: fc.constant(["aGk="]) }), { minLength: 1, maxLength: 1 }),
        fc.array(fc.record({ role: fc.constant("assistant"), content: text, tool_calls: fc.constant([{ function: { name: "f", arguments: "not an object" } }]) }), { minLength: 1, maxLength: 1 }),
        fc.array(fc.record({ role: fc.constant("user"), content: overlongText }), { minLength: 1, maxLength: 1 })),
    tools: fc.constant([{ type: "function", function: { name: "f", parameters: { type: "integer", multipleOf: 2 } } }])
});
const ollamaGenerateBody = bodies({
    model: fc.constantFrom(fullChatModel, `${fullChatModel}:latest`), prompt: text, system: text, raw: fc.boolean(), ...ollamaCommon
}, ["model"], {
    ...ollamaCommonMistakes, prompt: overlongText, template: fc.constant("{{ .Prompt }}"), suffix: fc.constant("end"), context: fc.constant([1, 2, 3]),
    images: fc.constant(["aGk="]), raw: fc.constantFrom("yes", 1)
});
const ollamaEmbedBody = bodies({
    model: fc.constantFrom("text-embedding-tiny-embed", "text-embedding-tiny-embed:latest"), input: embeddingInput, truncate: fc.boolean(), dimensions: fc.constant(64),
    keep_alive: ollamaCommon.keep_alive!
}, ["model", "input"], {
    model: wrongModelNames, input: fc.oneof(fc.constant([]), fc.constant(""), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }), fc.constant("word ".repeat(600))),
    dimensions: fc.constantFrom(0, 63, 65), keep_alive: ollamaCommonMistakes.keep_alive!
});
const instanceName = fc.constantFrom("tiny-chat", "tiny-chat:2", "fuzz-a", "fuzz-b", "text-embedding-tiny-embed");
const loadBody = bodies({
    model: fc.constantFrom("tiny-chat", "text-embedding-tiny-embed"), context_length: fc.integer({ min: 32, max: 4096 }),
    eval_batch_size: fc.integer({ min: 1, max: 4096 }), flash_attention: fc.boolean(), parallel: fc.integer({ min: 1, max: 8 }),
    ttl: fc.integer({ min: 1, max: 100 }), identifier: fc.constantFrom("fuzz-a", "fuzz-b", "fuzz-c")
}, ["model"], {
    model: wrongModelNames, context_length: fc.constantFrom(-1, 0, 31, 10_000_001, 2 ** 40), eval_batch_size: fc.constantFrom(0, 65537),
    parallel: fc.constantFrom(0, 65), identifier: fc.constantFrom("bad name", "a/b", "", "x".repeat(300)), ttl: fc.constantFrom(0, -1)
});
const unloadBody = bodies({ instance_id: instanceName }, ["instance_id"], { instance_id: fc.constantFrom("", "no-such-model", "../tiny-chat", "x".repeat(2000)) });
const downloadBody = bodies({
    model: fc.constantFrom("tiny-org/Tiny-Chat-GGUF", "tiny-org/Tiny-Chat-GGUF/Tiny-Chat-Q4_K_M.gguf"), quantization: fc.constant("Q4_K_M")
}, ["model"], {
    model: fc.constantFrom("tiny-org/Missing-GGUF", "tiny-org/Tiny-Chat-GGUF/../../../etc/passwd.gguf", "../x/y", "a", "tiny-org/Tiny-Chat-GGUF@Q2_K", "https://evil.example/x/y", "x/y/z/../../../../w.gguf"),
    quantization: fc.constantFrom("Q8_0", "", "../../x", "Q".repeat(65))
});

/** Sometimes the body is not what the route expects at all. */
const withRawBodies = (shaped: fc.Arbitrary<unknown>) => fc.oneof(
    { arbitrary: shaped.map((body) => ({ body: JSON.stringify(body), contentType: "application/json" })), weight: 18 },
    { arbitrary: fc.json({ maxDepth: 3 }).map((body) => ({ body, contentType: "application/json" })), weight: 1 },
    { arbitrary: fc.tuple(fc.string({ maxLength: 30 }), fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"))
        .map(([body, contentType]) => ({ body, contentType })), weight: 1 }
);

type Endpoint = { path: string; body: fc.Arbitrary<unknown>; ok: ValidateFunction; chunk?: ValidateFunction; runs: number; ollama?: true };
const endpoints: Endpoint[] = [
    { path: "/api/v0/chat/completions", body: chatBody, ok: compile(V0ChatResponse), chunk: compile(V0ChatChunk), runs: 70 },
    { path: "/v1/chat/completions", body: chatBody, ok: compile(OpenAiChatResponse), chunk: compile(OpenAiChatChunk), runs: 70 },
    { path: "/api/v0/completions", body: completionBody, ok: compile(V0CompletionResponse), chunk: compile(V0CompletionChunk), runs: 50 },
    { path: "/v1/completions", body: completionBody, ok: compile(OpenAiCompletionResponse), chunk: compile(OpenAiCompletionChunk), runs: 50 },
    { path: "/api/v0/embeddings", body: embeddingBody, ok: compile(V0EmbeddingResponse), runs: 40 },
    { path: "/v1/embeddings", body: embeddingBody, ok: compile(OpenAiEmbeddingResponse), runs: 40 },
    { path: "/api/v1/models/load", body: loadBody, ok: compile(V1LoadResponse), runs: 30 },
    { path: "/api/v1/models/unload", body: unloadBody, ok: compile(V1UnloadResponse), runs: 30 },
    { path: "/api/v1/models/download", body: downloadBody, ok: compile(V1DownloadJob), runs: 20 },
    { path: "/api/chat", body: ollamaChatBody, ok: compile(OllamaChatResponse), chunk: compile(OllamaChatResponse), runs: 80, ollama: true },
    { path: "/api/generate", body: ollamaGenerateBody, ok: compile(OllamaGenerateResponse), chunk: compile(OllamaGenerateResponse), runs: 60, ollama: true },
    { path: "/api/embed", body: ollamaEmbedBody, ok: compile(OllamaEmbedResponse), runs: 40, ollama: true }
];

let server: RunningServer;
let hub: HubStandIn;
const previousEndpoint = process.env.HF_ENDPOINT;

beforeAll(async () => {
    hub = await startHubStandIn({ "tiny-org/Tiny-Chat-GGUF": [{ path: "Tiny-Chat-Q4_K_M.gguf", content: await readFile((await ensureFixtures()).chat) }] });
    process.env.HF_ENDPOINT = hub.url;
    // A small context keeps "generate until the context is full" cheap.
    server = await startTestServer({ modelsDir: await standardModelsFolder(), contextLength: 256 });
});
afterAll(async () => {
    await server.close();
    await hub.close();
    if (previousEndpoint === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = previousEndpoint;
});

function explain(validate: ValidateFunction, value: unknown): string {
    return `${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 600)}`;
}

async function checkAnswer(endpoint: Endpoint, request: { body: string; contentType: string }): Promise<string> {
    const response = await fetch(`${server.url}${endpoint.path}`, {
        method: "POST", headers: { "content-type": request.contentType }, body: request.body, signal: AbortSignal.timeout(60_000)
    });
    const context = `${endpoint.path} ${request.contentType} ${request.body.slice(0, 800)} -> ${response.status}`;
    expect(response.status, context).not.toBe(500);
    expect(response.status, context).toBeLessThan(600);
    const errorShape = endpoint.ollama ? ollamaErrorShape : openAiErrorShape;
    if (response.headers.get("content-type")?.startsWith("application/x-ndjson")) {
        expect(response.status, context).toBe(200);
        const lines = (await response.text()).split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
        const last = lines.at(-1);
        expect(last?.done === true || typeof last?.error === "string", `${context}: ends with done or an error`).toBe(true);
        for (const line of lines) {
            expect(endpoint.chunk!(line) || errorShape(line), `${context}: ${explain(endpoint.chunk!, line)}`).toBe(true);
            expect(String(line.error ?? ""), context).not.toMatch(/engine|internal/i);
        }
        return String(response.status);
    }
    if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
        expect(response.status, context).toBe(200);
        const { events } = await readEventStream(response);
        expect(events.at(-1)?.data, context).toBe("[DONE]");
        for (const event of events.slice(0, -1)) {
            const payload = JSON.parse(event.data);
            const valid = endpoint.chunk!(payload) || errorShape(payload);
            expect(valid, `${context}: ${explain(endpoint.chunk!, payload)}`).toBe(true);
            expect(payload.error?.code, context).not.toBe("engine_failure");
        }
        return String(response.status);
    }
    expect(response.headers.get("content-type"), context).toMatch(/^application\/json/);
    const payload = await response.json();
    const validate = response.status === 200 ? endpoint.ok : errorShape;
    expect(validate(payload), `${context}: ${explain(validate, payload)}`).toBe(true);
    if (response.status === 200) return "200";
    // Ollama's errors are a message only; what they are about is in its first words.
    return endpoint.ollama ? `${response.status} ${String(payload.error).slice(0, 80)}` : `${response.status} ${payload.error.code}/${payload.error.param}: ${payload.error.message.slice(0, 80)}`;
}

/**
 * One seed for the whole run, so that the coverage check below (a share of bodies past validation) is not left to
 * chance; LMHOST_FUZZ_SEED explores other inputs, and a failure report prints the seed that found it.
 */
const fuzzSeed = Number(process.env.LMHOST_FUZZ_SEED ?? 20261201);

describe("fuzzed request bodies", () => {
    for (const endpoint of endpoints) {
        it(`POST ${endpoint.path}: every answer is documented JSON, never a 500`, async () => {
            const statuses: string[] = [];
            await fc.assert(fc.asyncProperty(withRawBodies(endpoint.body), async (request) => { statuses.push(await checkAnswer(endpoint, request)); }),
                { numRuns: endpoint.runs, endOnFailure: true, seed: fuzzSeed });
            // A fuzzer whose bodies all fail validation would test nothing past the schema.
            const report = `statuses:\n${statuses.join("\n")}`;
            const pastValidation = statuses.filter((status) => !/^(415|400 (invalid_json|invalid_request)\/|400 (Invalid value|Missing required|Invalid request|Malformed JSON))/.test(status));
            expect(pastValidation.length, report).toBeGreaterThanOrEqual(endpoint.runs / 3);
            expect(statuses, report).toContain("200");
        }, 240_000);
    }

    it("leaves the server serving: models list, a chat and an embedding all answer", async () => {
        // The load fuzz may have left tiny-chat loaded with a context too small for any prompt, and the download
        // fuzz added a second tiny-chat, so the chat names its model in full.
        // One call: unloading the listed instances one by one raced their TTLs (fuzzed from 1 s), which made this flaky.
        const unloaded = await fetch(`${server.url}/api/v1/models/unload-all`, { method: "POST" });
        expect(unloaded.status).toBe(200);
        const chat = await fetch(`${server.url}/v1/chat/completions`, {
            method: "POST", headers: { "content-type": "application/json" },
            body: JSON.stringify({ model: "lmhost-test/tiny-chat-gguf/tiny-chat-f16", messages: [{ role: "user", content: "still there?" }], max_tokens: 3 })
        });
        expect(chat.status, await chat.clone().text()).toBe(200);
        expect((await chat.json()).usage.completion_tokens).toBeGreaterThan(0);
        const embedding = await fetch(`${server.url}/v1/embeddings`, {
            method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "text-embedding-tiny-embed", input: "yes" })
        });
        expect(embedding.status).toBe(200);
    });
});
