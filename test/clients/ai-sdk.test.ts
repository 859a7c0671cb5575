/** The Vercel AI SDK (ai + @ai-sdk/openai-compatible) against lmhost, without any shim. */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { embed, embedMany, generateObject, generateText, jsonSchema, Output, streamText, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { startTestServer } from "../support/testServer.js";

let server: RunningServer;
let lmhost: ReturnType<typeof createOpenAICompatible>;
const prompt = "What is the weather in Paris?";
const weather = tool({
    description: "Current weather for a city",
    inputSchema: jsonSchema<{ city: "Paris" | "Rome"; unit: "celsius" | "fahrenheit" }>({
        type: "object",
        properties: { city: { type: "string", enum: ["Paris", "Rome"] }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
        required: ["city", "unit"],
        additionalProperties: false
    })
});

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
    lmhost = createOpenAICompatible({ name: "lmhost", baseURL: `${server.url}/v1`, supportsStructuredOutputs: true, includeUsage: true });
});
afterAll(() => server.close());

describe("the Vercel AI SDK", () => {
    it("generateText", async () => {
        const result = await generateText({ model: lmhost("tiny-chat"), prompt, maxOutputTokens: 8, seed: 1, maxRetries: 0 });
        expect(result.finishReason).toBe("length");
        expect(result.usage.outputTokens).toBe(8);
        expect(typeof result.text).toBe("string");
    });

    it("streamText", async () => {
        const result = streamText({ model: lmhost("tiny-chat"), prompt, maxOutputTokens: 8, seed: 1, maxRetries: 0 });
        let streamed = "";
        for await (const delta of result.textStream) streamed += delta;
        expect(await result.finishReason).toBe("length");
        expect((await result.usage).outputTokens).toBe(8);
        expect(streamed).toBe(await result.text);
    });

    it("generateText with a required tool call", async () => {
        // One call: random weights, free to add calls, can write calls (and whitespace) until the context is full.
        const result = await generateText({
            model: lmhost("tiny-chat"), prompt, tools: { weather }, toolChoice: "required", maxRetries: 0,
            providerOptions: { lmhost: { parallel_tool_calls: false } }
        });
        expect(result.finishReason).toBe("tool-calls");
        expect(result.toolCalls).toHaveLength(1);
        expect(result.toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: expect.stringMatching(/Paris|Rome/) } });
    });

    it("streamText with a tool call forced by name", async () => {
        const result = streamText({ model: lmhost("tiny-chat"), prompt, tools: { weather }, toolChoice: { type: "tool", toolName: "weather" }, maxRetries: 0 });
        const calls = await result.toolCalls;
        expect(calls).toHaveLength(1);
        expect(calls[0]).toMatchObject({ toolName: "weather", input: { unit: expect.stringMatching(/celsius|fahrenheit/) } });
        expect(await result.finishReason).toBe("tool-calls");
    });

    it("generateObject", async () => {
        const { object } = await generateObject({
            model: lmhost("tiny-chat"),
            prompt,
            seed: 2,
            maxRetries: 0,
            schema: jsonSchema<{ sunny: boolean; city: "Paris" | "Rome" }>({
                type: "object",
                properties: { sunny: { type: "boolean" }, city: { type: "string", enum: ["Paris", "Rome"] } },
                required: ["sunny", "city"],
                additionalProperties: false
            })
        });
        expect(typeof object.sunny).toBe("boolean");
        expect(["Paris", "Rome"]).toContain(object.city);
    });

    it("generateText with an object output (the SDK's successor of generateObject)", async () => {
        const { output } = await generateText({
            model: lmhost("tiny-chat"),
            prompt,
            seed: 4,
            maxRetries: 0,
            output: Output.object({
                schema: jsonSchema<{ temperature: number; unit: "celsius" | "fahrenheit" }>({
                    type: "object",
                    properties: { temperature: { type: "integer" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
                    required: ["temperature", "unit"],
                    additionalProperties: false
                })
            })
        });
        expect(Number.isInteger(output.temperature)).toBe(true);
        expect(["celsius", "fahrenheit"]).toContain(output.unit);
    });

    it("embed and embedMany", async () => {
        const { embedding, usage } = await embed({ model: lmhost.embeddingModel("text-embedding-tiny-embed"), value: "hello world", maxRetries: 0 });
        expect(embedding).toHaveLength(64);
        expect(usage.tokens).toBe(4);
        const { embeddings } = await embedMany({ model: lmhost.embeddingModel("text-embedding-tiny-embed"), values: ["a", "b", "c"], maxRetries: 0 });
        expect(embeddings).toHaveLength(3);
    });
});
