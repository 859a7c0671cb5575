/**
 * The official `@anthropic-ai/sdk` against lmhost's Messages API, on scripted family models under their real
 * templates: text, tool_use and thinking blocks, streaming through the SDK's helper, a tool round trip,
 * count_tokens, stop sequences, Anthropic-shaped errors and x-api-key.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { familyModelsFolder } from "../support/familyFixtures.js";
import { answerText, reasoningText } from "../support/gguf/familyModels.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
let client: Anthropic;
const tools: Anthropic.Tool[] = [{ name: "get_weather", description: "Weather now", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
const question: Anthropic.MessageParam[] = [{ role: "user", content: "What is the weather in Paris?" }];

beforeAll(async () => {
    const { folder } = await familyModelsFolder(["qwen3", "llama-3.1"]);
    server = await startTestServer({ modelsDir: folder, contextLength: 8192, apiKey: "secret" });
    client = new Anthropic({ baseURL: server.url, apiKey: "secret", maxRetries: 0 });
}, 120_000);
afterAll(() => server?.close());

describe("the @anthropic-ai/sdk client", () => {
    it("gets a text answer with usage and end_turn", async () => {
        const message = await client.messages.create({ model: "llama-3.1-answer", max_tokens: 100, messages: question, system: "Be brief." });
        expect(message).toMatchObject({ type: "message", role: "assistant", model: "llama-3.1-answer", stop_reason: "end_turn", stop_sequence: null });
        expect(message.content).toEqual([{ type: "text", text: answerText, citations: null }]);
        expect(message.usage.input_tokens).toBeGreaterThan(5);
        expect(message.usage.output_tokens).toBeGreaterThan(3);
    });

    it("returns thinking blocks apart from the text, streaming and not", async () => {
        const message = await client.messages.create({
            model: "qwen3-reasoning", max_tokens: 200, messages: question, thinking: { type: "enabled", budget_tokens: 2048 }
        });
        expect(message.content.map((block) => block.type)).toEqual(["thinking", "text"]);
        expect(message.content[0]).toMatchObject({ type: "thinking", thinking: reasoningText });
        expect(message.content[1]).toMatchObject({ type: "text", text: answerText });
        const stream = client.messages.stream({ model: "qwen3-reasoning", max_tokens: 200, messages: question, thinking: { type: "enabled", budget_tokens: 2048 } });
        const thinking: string[] = [];
        stream.on("thinking", (delta) => thinking.push(delta));
        const final = await stream.finalMessage();
        expect(thinking.join("")).toBe(reasoningText);
        expect(final.content.map((block) => block.type)).toEqual(["thinking", "text"]);
        expect(final.content[1]).toMatchObject({ text: answerText });
    });

    it.each(["qwen3", "llama-3.1"])("%s: a tool call as a tool_use block, streamed through the helper, and a round trip", async (family) => {
        const model = `${family}-call`;
        const message = await client.messages.create({ model, max_tokens: 200, messages: question, tools });
        expect(message.stop_reason).toBe("tool_use");
        const call = message.content.find((block) => block.type === "tool_use")!;
        expect(call).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
        const streamed = await client.messages.stream({ model, max_tokens: 200, messages: question, tools }).finalMessage();
        expect(streamed.stop_reason).toBe("tool_use");
        expect(streamed.content.find((block) => block.type === "tool_use")).toMatchObject({ name: "get_weather", input: { city: "Paris" } });
        // The result goes back as a tool_result block and renders under the family's template.
        const followUp = await client.messages.create({
            model, max_tokens: 200, tools,
            messages: [...question, { role: "assistant", content: message.content },
                { role: "user", content: [{ type: "tool_result", tool_use_id: call.type === "tool_use" ? call.id : "", content: "21 degrees" }] }]
        });
        expect(followUp.type).toBe("message");
    });

    it("maps tool_choice: a named tool is forced by the family's call grammar; none leaves the tools out", async () => {
        for (const toolChoice of [{ type: "tool", name: "get_weather" }, { type: "any" }] as const) {
            const forced = await client.messages.create({ model: "llama-3.1-forced", max_tokens: 200, messages: question, tools, tool_choice: toolChoice });
            expect(forced.stop_reason).toBe("tool_use");
            expect(forced.content).toEqual([expect.objectContaining({ type: "tool_use", name: "get_weather", input: { city: "Paris" } })]);
        }
        // With the tools left out, the same call text is no call: it comes back as text.
        const none = await client.messages.create({ model: "llama-3.1-forced", max_tokens: 200, messages: question, tools, tool_choice: { type: "none" } });
        expect(none.stop_reason).toBe("end_turn");
        expect(none.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("get_weather") });
    });

    it("turns thinking off with thinking disabled, where the template can", async () => {
        // Qwen3's template closes an empty thinking block in the prompt when thinking is off: more prompt tokens.
        const count = (thinking?: Anthropic.ThinkingConfigParam) => client.messages.countTokens({ model: "qwen3-answer", messages: question, ...(thinking ? { thinking } : {}) });
        const [templateDefault, disabled] = [(await count()).input_tokens, (await count({ type: "disabled" })).input_tokens];
        expect(disabled).toBeGreaterThan(templateDefault);
        expect((await count({ type: "enabled", budget_tokens: 2048 })).input_tokens).toBe(templateDefault);
    });

    it("sends Anthropic's stream events in order", async () => {
        const events: string[] = [];
        const stream = await client.messages.create({ model: "llama-3.1-answer", max_tokens: 100, messages: question, stream: true });
        for await (const event of stream) events.push(event.type);
        expect(events[0]).toBe("message_start");
        expect(events.slice(-2)).toEqual(["message_delta", "message_stop"]);
        expect(events).toContain("content_block_start");
        expect(events).toContain("content_block_delta");
        expect(events).toContain("content_block_stop");
    });

    it("counts tokens as the answer's usage does", async () => {
        const counted = await client.messages.countTokens({ model: "llama-3.1-answer", messages: question, system: "Be brief." });
        const message = await client.messages.create({ model: "llama-3.1-answer", max_tokens: 5, messages: question, system: "Be brief." });
        expect(counted.input_tokens).toBe(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0));
    });

    it("names the stop sequence that ended the answer", async () => {
        const message = await client.messages.create({ model: "llama-3.1-answer", max_tokens: 100, messages: question, stop_sequences: ["sunny"] });
        expect(message).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "sunny" });
        expect(message.content[0]).toMatchObject({ text: "It is " });
    });

    it("raises the SDK's own errors from Anthropic-shaped bodies", async () => {
        await expect(client.messages.create({ model: "no-such-model", max_tokens: 10, messages: question })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
        await expect(client.messages.create({ model: "llama-3.1-answer", max_tokens: 0, messages: question })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
        const stranger = new Anthropic({ baseURL: server.url, apiKey: "wrong", maxRetries: 0 });
        await expect(stranger.messages.create({ model: "llama-3.1-answer", max_tokens: 10, messages: question })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
        const image = await postJson(`${server.url}/v1/messages`, {
            model: "llama-3.1-answer", max_tokens: 10,
            messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] }]
        }, { headers: { "content-type": "application/json", "x-api-key": "secret" } });
        expect(image.status).toBe(400);
        expect(await image.json()).toEqual({
            type: "error",
            error: { type: "invalid_request_error", message: expect.stringMatching(/'image' are not supported/) }
        });
    });
});
