/**
 * The official `openai` client's Responses API against lmhost, on scripted family models under their real
 * templates: text, reasoning and function calls, the SDK's stream helper, stored responses and
 * previous_response_id, input items, input tokens, max_output_tokens and text.format.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { familyModelsFolder } from "../support/familyFixtures.js";
import { ensureFixtures, placeModel } from "../support/fixtures.js";
import { answerText, reasoningText } from "../support/gguf/familyModels.js";
import { startTestServer } from "../support/testServer.js";

let server: RunningServer;
let client: OpenAI;
const tools: OpenAI.Responses.FunctionTool[] = [{
    type: "function", name: "get_weather", strict: false, parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
}];
const question = "What is the weather in Paris?";

beforeAll(async () => {
    const { folder } = await familyModelsFolder(["qwen3", "llama-3.1"]);
    await placeModel(folder, "lmhost-test/tiny-chat-GGUF/tiny-chat.gguf", (await ensureFixtures()).chat);
    server = await startTestServer({ modelsDir: folder, contextLength: 8192 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-needed", maxRetries: 0 });
}, 120_000);
afterAll(() => server?.close());

describe("the openai client's Responses API", () => {
    it("creates a response with output_text, usage, and stores it", async () => {
        const response = await client.responses.create({ model: "llama-3.1-answer", input: question, instructions: "Be brief." });
        expect(response).toMatchObject({ object: "response", status: "completed", model: "llama-3.1-answer", store: true });
        expect(response.output_text).toBe(answerText);
        expect(response.usage!.input_tokens).toBeGreaterThan(5);
        const stored = await client.responses.retrieve(response.id);
        expect(stored.output_text).toBe(answerText);
        const items = await client.responses.inputItems.list(response.id);
        expect(items.data).toHaveLength(1);
        expect(items.data[0]).toMatchObject({ type: "message", role: "user" });
        await client.responses.delete(response.id);
        await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });

    it("streams reasoning and text through the SDK's helper", async () => {
        const stream = client.responses.stream({ model: "qwen3-reasoning", input: question, reasoning: { effort: "high" } });
        const deltas: string[] = [];
        stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
        const final = await stream.finalResponse();
        expect(deltas.join("")).toBe(answerText);
        expect(final.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
        const reasoning = final.output[0] as OpenAI.Responses.ResponseReasoningItem;
        expect(reasoning.content?.[0]?.text).toBe(reasoningText);
        expect(final.output_text).toBe(answerText);
    });

    it.each(["qwen3", "llama-3.1"])("%s: a function call, streamed, then its output through previous_response_id", async (family) => {
        const model = `${family}-call`;
        const stream = client.responses.stream({ model, input: question, tools });
        const argumentDeltas: string[] = [];
        stream.on("response.function_call_arguments.delta", (event) => argumentDeltas.push(event.delta));
        const first = await stream.finalResponse();
        const call = first.output.find((item) => item.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
        expect(call).toMatchObject({ name: "get_weather" });
        expect(JSON.parse(call.arguments)).toEqual({ city: "Paris" });
        expect(argumentDeltas.join("")).toBe(call.arguments);
        // The next turn sends only the call's output; the stored conversation supplies the rest.
        const followUp = await client.responses.create({
            model, tools, previous_response_id: first.id,
            input: [{ type: "function_call_output", call_id: call.call_id, output: "21 degrees" }]
        });
        expect(followUp.previous_response_id).toBe(first.id);
        expect(followUp.status).toBe("completed");
        const direct = await client.responses.inputTokens.count({
            model, tools, input: [{ role: "user", content: question }, { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
                { type: "function_call_output", call_id: call.call_id, output: "21 degrees" }]
        });
        const chained = await client.responses.inputTokens.count({
            model, tools, previous_response_id: first.id, input: [{ type: "function_call_output", call_id: call.call_id, output: "21 degrees" }]
        });
        expect(chained.input_tokens).toBe(direct.input_tokens);
        expect(followUp.usage!.input_tokens).toBe(chained.input_tokens);
    });

    it("says incomplete with the reason when max_output_tokens cuts the answer", async () => {
        const response = await client.responses.create({ model: "tiny-chat", input: "Hello", max_output_tokens: 5 });
        expect(response.status).toBe("incomplete");
        expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
        expect(response.usage!.output_tokens).toBe(5);
    });

    it("holds text.format json_schema with the grammar", async () => {
        const response = await client.responses.create({
            model: "tiny-chat", input: "A number please", max_output_tokens: 200,
            text: { format: { type: "json_schema", name: "n", schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false } } }
        });
        expect(Number.isInteger(JSON.parse(response.output_text).n)).toBe(true);
    });

    it("answers an unknown previous_response_id and unsupported input with OpenAI errors", async () => {
        await expect(client.responses.create({ model: "tiny-chat", input: "Hi", previous_response_id: "resp_nothing" })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
        await expect(client.responses.create({
            model: "tiny-chat", input: [{ role: "user", content: [{ type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "auto" }] }]
        })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
        const unstored = await client.responses.create({ model: "tiny-chat", input: "Hi", max_output_tokens: 2, store: false });
        await expect(client.responses.retrieve(unstored.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });
});
