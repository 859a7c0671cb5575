/**
 * The official `openai` client on real model families (scripted models under their real templates): its stream
 * helper assembles the same tool calls and reasoning lmhost's own tests read, including across a tool round trip.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { familyModelsFolder } from "../support/familyFixtures.js";
import { answerText, reasoningText } from "../support/gguf/familyModels.js";
import { startTestServer } from "../support/testServer.js";

let server: RunningServer;
let client: OpenAI;
const tools: OpenAI.Chat.ChatCompletionTool[] = [{
    type: "function",
    function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }
}];
const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: "What is the weather in Paris?" }];

beforeAll(async () => {
    const { folder } = await familyModelsFolder(["gpt-oss", "mistral-small-3.2", "llama-3.1", "qwen3"]);
    server = await startTestServer({ modelsDir: folder, contextLength: 16384 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-needed", maxRetries: 0 });
}, 120_000);
afterAll(() => server?.close());

describe.each(["gpt-oss", "mistral-small-3.2", "llama-3.1", "qwen3"])("the openai client on %s", (family) => {
    it("streams a tool call its helper assembles, then sends the result back through the template", async () => {
        const stream = client.chat.completions.stream({ model: `${family}-call`, messages, tools, max_tokens: 200 });
        const completion = await stream.finalChatCompletion();
        const call = completion.choices[0]!.message.tool_calls![0]!;
        expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
        expect(call.type === "function" && call.function.name).toBe("get_weather");
        expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
        // The next turn, with the call and its result, renders under the family's template.
        const followUp = await client.chat.completions.create({
            model: `${family}-call`, tools, max_tokens: 200,
            messages: [...messages, completion.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "{\"temperature\": 21}" }]
        });
        expect(followUp.choices[0]!.message.tool_calls).toHaveLength(1);
    });
});

describe("reasoning through the openai client", () => {
    it.each(["gpt-oss", "qwen3"])("%s: reasoning_content apart from the content", async (family) => {
        const completion = await client.chat.completions.create({ model: `${family}-reasoning`, messages, max_tokens: 200, reasoning_effort: "high" });
        const message = completion.choices[0]!.message as OpenAI.Chat.ChatCompletionMessage & { reasoning_content?: string };
        expect(message.content).toBe(answerText);
        expect(message.reasoning_content).toBe(reasoningText);
    });
});
