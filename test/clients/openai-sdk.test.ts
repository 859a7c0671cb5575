/** The official `openai` npm client against lmhost, without any shim. */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { startTestServer } from "../support/testServer.js";

let server: RunningServer;
let client: OpenAI;
const model = "tiny-chat";
const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: "What is the weather in Paris?" }];
const weatherTool: OpenAI.Chat.ChatCompletionTool = {
    type: "function",
    function: {
        name: "get_weather",
        parameters: { type: "object", properties: { city: { enum: ["Paris", "Rome"] }, unit: { enum: ["celsius", "fahrenheit"] } }, required: ["city", "unit"] }
    }
};

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-needed", maxRetries: 0 });
});
afterAll(() => server.close());

describe("the openai client", () => {
    it("lists and retrieves models", async () => {
        const ids = [];
        for await (const entry of client.models.list()) ids.push(entry.id);
        expect(ids).toEqual(["tiny-chat", "text-embedding-tiny-embed"]);
        expect((await client.models.retrieve("tiny-chat")).id).toBe("tiny-chat");
    });

    it("creates a chat completion", async () => {
        const completion = await client.chat.completions.create({ model, messages, max_tokens: 8, seed: 1 });
        expect(completion.choices[0]!.message.role).toBe("assistant");
        expect(completion.choices[0]!.finish_reason).toBe("length");
        expect(completion.usage?.completion_tokens).toBe(8);
    });

    it("streams a chat completion, with usage at the end", async () => {
        const stream = await client.chat.completions.create({ model, messages, max_tokens: 8, seed: 1, stream: true, stream_options: { include_usage: true } });
        let text = "";
        let usage: OpenAI.CompletionUsage | null | undefined;
        let finish: string | null | undefined;
        for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? "";
            finish ??= chunk.choices[0]?.finish_reason;
            if (chunk.usage) usage = chunk.usage;
        }
        expect(finish).toBe("length");
        expect(usage?.completion_tokens).toBe(8);
        const whole = await client.chat.completions.create({ model, messages, max_tokens: 8, seed: 1 });
        expect(text).toBe(whole.choices[0]!.message.content);
    });

    it("gets parsed tool calls, streaming and not", async () => {
        // One call: random weights, free to add calls, can write calls (and whitespace) until the context is full.
        const completion = await client.chat.completions.create({ model, messages, tools: [weatherTool], tool_choice: "required", parallel_tool_calls: false });
        const call = completion.choices[0]!.message.tool_calls![0]!;
        expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
        expect(call.type === "function" && call.function.name).toBe("get_weather");
        expect(JSON.parse(call.type === "function" ? call.function.arguments : "")).toHaveProperty("city");

        const runner = client.chat.completions.stream({ model, messages, tools: [weatherTool], tool_choice: { type: "function", function: { name: "get_weather" } } });
        const final = await runner.finalChatCompletion();
        const streamedCall = final.choices[0]!.message.tool_calls![0]!;
        expect(streamedCall.id).toMatch(/^call_/);
        expect(streamedCall.type === "function" && JSON.parse(streamedCall.function.arguments)).toMatchObject({ city: expect.stringMatching(/Paris|Rome/) });
    });

    it("parses structured output", async () => {
        const completion = await client.chat.completions.parse({
            model, messages, seed: 3,
            response_format: {
                type: "json_schema",
                json_schema: {
                    name: "weather", strict: true,
                    schema: { type: "object", properties: { sunny: { type: "boolean" }, city: { enum: ["Paris", "Rome"] } }, required: ["sunny", "city"], additionalProperties: false }
                }
            }
        });
        expect(completion.choices[0]!.message.parsed).toMatchObject({ sunny: expect.any(Boolean), city: expect.stringMatching(/Paris|Rome/) });
    });

    it("creates a text completion", async () => {
        const completion = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 5 });
        expect(completion.choices[0]!.finish_reason).toBe("length");
        expect(completion.usage?.completion_tokens).toBe(5);
    });

    it("creates embeddings (the client asks for base64 and decodes it)", async () => {
        const result = await client.embeddings.create({ model: "text-embedding-tiny-embed", input: ["hello", "world"] });
        expect(result.data).toHaveLength(2);
        expect(result.data[0]!.embedding).toHaveLength(64);
        expect(Math.hypot(...result.data[0]!.embedding)).toBeCloseTo(1, 4);
    });

    it("raises NotFoundError for an unknown model and BadRequestError for a bad request", async () => {
        await expect(client.chat.completions.create({ model: "nope", messages })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
        const error = await client.chat.completions.create({ model, messages, temperature: 5 }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("temperature");
    });
});
