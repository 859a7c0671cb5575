/**
 * Real model families through real HTTP: scripted models that write exactly what each family's models write,
 * under the family's real template, read back into OpenAI messages (streaming or not), forced calls in the
 * family's own syntax, and LM Studio's v0 text ending where the turn ends.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { familyModelsFolder, type FamilyModel } from "../support/familyFixtures.js";
import { answerText, familyModels, reasoningText } from "../support/gguf/familyModels.js";
import { jsonPayloads, readEventStream } from "../support/sse.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
let models: FamilyModel[];

const tools = [{
    type: "function",
    function: { name: "get_weather", description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }
}];
const question = [{ role: "system", content: "You are a weather assistant." }, { role: "user", content: "What is the weather in Paris?" }];

type Message = { content: string | null; reasoning: string; calls: Array<{ id: string; name: string; arguments: unknown }>; finishReason: string };

async function chat(model: string, body: Record<string, unknown>): Promise<Message> {
    const response = await postJson(`${server.url}/v1/chat/completions`, { model, messages: question, max_tokens: 200, ...body });
    const json = await response.json();
    expect(response.status, JSON.stringify(json)).toBe(200);
    const message = json.choices[0].message;
    return {
        content: message.content,
        reasoning: message.reasoning_content ?? "",
        calls: (message.tool_calls ?? []).map((call: { id: string; function: { name: string; arguments: string } }) =>
            ({ id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments) })),
        finishReason: json.choices[0].finish_reason
    };
}

async function chatStreaming(model: string, body: Record<string, unknown>): Promise<Message> {
    const response = await postJson(`${server.url}/v1/chat/completions`, { model, messages: question, max_tokens: 200, stream: true, ...body });
    expect(response.status).toBe(200);
    const chunks = jsonPayloads((await readEventStream(response)).events) as Array<{ choices: Array<{ delta: Record<string, any>; finish_reason: string | null }> }>;
    let content = "";
    let reasoning = "";
    let finishReason = "";
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    for (const chunk of chunks) {
        const choice = chunk.choices[0];
        if (!choice) continue;
        content += choice.delta.content ?? "";
        reasoning += choice.delta.reasoning_content ?? "";
        for (const delta of choice.delta.tool_calls ?? []) {
            if (delta.id) calls[delta.index] = { id: delta.id, name: delta.function.name, arguments: "" };
            calls[delta.index]!.arguments += delta.function.arguments ?? "";
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    return { content, reasoning, calls: calls.map((call) => ({ ...call, arguments: JSON.parse(call.arguments) })), finishReason };
}

const markup = /<\||\|>|\[TOOL_CALLS\]|\[ARGS\]|<tool_call>|<think>|<\/think>|<function=|<｜|\[THINK\]|START_|<arg_key>|<seed:|minimax:|<response>/;

function expectClean(message: Message): void {
    expect(message.content ?? "").not.toMatch(markup);
    expect(message.reasoning).not.toMatch(markup);
}

const expectedCall = (key: string) => (key === "llama-3.1-builtin" ? { name: "brave_search", arguments: { query: "weather in Paris" } } : { name: "get_weather", arguments: { city: "Paris" } });

beforeAll(async () => {
    const prepared = await familyModelsFolder();
    models = prepared.models;
    // Byte-level tokenizers make long system prompts (Command R's) long in tokens.
    server = await startTestServer({ modelsDir: prepared.folder, contextLength: 16384 });
}, 240_000);
afterAll(() => server?.close());

describe.each(Object.keys(familyModels))("%s", (key) => {
    const spec = familyModels[key]!;
    const variables = spec.variables ? { chat_template_kwargs: spec.variables } : {};
    const modelFor = (scriptCase: string) => `${key}-${scriptCase}`;
    // Each case asks one model everything (whole, streaming), so it loads once.
    const bothModes = async (model: string, body: Record<string, unknown>, check: (message: Message, mode: string) => void) => {
        check(await chat(model, body), "whole");
        check(await chatStreaming(model, body), "streaming");
    };

    if (spec.scripts.call) {
        it("reads a tool call, whole and streamed, and v0 keeps the text as written, ending where the turn ends", async () => {
            await bothModes(modelFor("call"), { tools, ...variables }, (message, mode) => {
                expect(message.calls.map(({ name, arguments: args }) => ({ name, arguments: args })), mode).toEqual([expectedCall(key)]);
                expect(message.finishReason, mode).toBe("tool_calls");
                expect(message.calls[0]!.id, mode).toMatch(/\S/);
                expect(message.content ?? "", mode).toBe("");
                expectClean(message);
            });
            const response = await postJson(`${server.url}/api/v0/chat/completions`, { model: modelFor("call"), messages: question, max_tokens: 200, tools, ...variables });
            const body = await response.json();
            expect(response.status, JSON.stringify(body)).toBe(200);
            expect(body.stats.stop_reason).toBe("toolCalls");
            expect(body.choices[0].finish_reason).toBe("tool_calls");
            expect(spec.scripts.call!.startsWith(body.choices[0].message.content), body.choices[0].message.content).toBe(true);
        });
    }
    if (spec.scripts.parallel) {
        it("reads parallel tool calls, whole and streamed", async () => {
            await bothModes(modelFor("parallel"), { tools, ...variables }, (message, mode) => {
                expect(message.calls.map((call) => call.arguments), mode).toEqual([{ city: "Paris" }, { city: "London" }]);
                expect(new Set(message.calls.map((call) => call.id)).size, mode).toBe(2);
                expect(message.finishReason, mode).toBe("tool_calls");
                expectClean(message);
            });
        });
    }
    if (spec.scripts.answer) {
        it("reads a plain answer with tools offered, whole and streamed", async () => {
            await bothModes(modelFor("answer"), { tools, ...variables }, (message, mode) => {
                expect(message.content, mode).toBe(answerText);
                expect(message.calls, mode).toEqual([]);
                expect(message.finishReason, mode).toBe("stop");
                expectClean(message);
            });
        });
    }
    if (spec.scripts.reasoning) {
        it("splits reasoning from the answer, whole and streamed", async () => {
            await bothModes(modelFor("reasoning"), { ...variables }, (message, mode) => {
                expect(message.reasoning, mode).toBe(reasoningText);
                expect(message.content, mode).toBe(answerText);
                expect(message.finishReason, mode).toBe("stop");
                expectClean(message);
            });
        });
    }
    if (spec.scripts.forced) {
        it("forces a call in the family's own syntax, whole and streamed", async () => {
            await bothModes(modelFor("forced"), { tools, tool_choice: "required", ...variables }, (message, mode) => {
                expect(message.calls.map(({ name, arguments: args }) => ({ name, arguments: args })), mode).toEqual([expectedCall(key)]);
                expect(message.finishReason, mode).toBe("tool_calls");
            });
        });
    }
});

it("constrains a call under tool_choice auto from the family's call marker on (a lazy grammar)", async () => {
    const response = await postJson(`${server.url}/v1/chat/completions`,
        { model: "qwen2.5-call", messages: question, tools, max_tokens: 200, logprobs: true, top_logprobs: 8, temperature: 0 });
    const body = await response.json();
    expect(body.choices[0].message.tool_calls[0].function.name).toBe("get_weather");
    const entries = body.choices[0].logprobs.content as Array<{ token: string; top_logprobs: Array<{ token: string; logprob: number }> }>;
    const possible = (index: number) => entries[index]!.top_logprobs.filter((alternative) => alternative.logprob > -9000).map((alternative) => alternative.token);
    expect(entries[0]!.token).toBe("<tool_call>");
    // At temperature 0 the log-probabilities are the model's own: before the marker any token could come; right
    // after it, only what continues the call syntax.
    expect(possible(0).some((token) => !token.startsWith("\n"))).toBe(true);
    expect(possible(1).length).toBeGreaterThan(0);
    expect(possible(1).every((token) => "\n{\"name\": \"".startsWith(token) || token.startsWith("\n{\"name\": \""))).toBe(true);
});

it("does not start the lazy grammar at a call marker inside the reasoning", async () => {
    const message = await chat("qwen3-thought", { tools });
    expect(message.reasoning).toBe("I could write <tool_call> but will not.");
    expect(message.content).toBe(answerText);
    expect(message.calls).toEqual([]);
});

it.each(["/v1/completions", "/api/v0/completions"])("ends a text completion where the family's turn ends, not at gpt-oss's <|end|> (%s)", async (path) => {
    const response = await postJson(`${server.url}${path}`, { model: "gpt-oss-reasoning", prompt: "<|start|>user<|message|>Weather?<|end|><|start|>assistant", max_tokens: 200 });
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.choices[0].text).toContain(`<|end|><|start|>assistant<|channel|>final<|message|>${answerText}`);
    expect(body.choices[0].finish_reason).toBe("stop");
});

it("prepared a model for every family case", () => {
    expect(models.length).toBeGreaterThan(40);
});
