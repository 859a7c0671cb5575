import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { ensureFixtures, placeModel, standardModelsFolder } from "../support/fixtures.js";
import { referenceTokenCount } from "../support/referenceTokenizer.js";
import { expectSpecValid, specSchemas } from "../support/specSchemas.js";
import { jsonPayloads, readEventStream } from "../support/sse.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
let shortContextServer: RunningServer;
const model = "tiny-chat";

async function complete(target: RunningServer, body: Record<string, unknown>) {
    const response = await postJson(`${target.url}/api/v0/completions`, { model, prompt: "Once upon a time", ...body });
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json();
}

beforeAll(async () => {
    const modelsDir = await standardModelsFolder();
    await placeModel(modelsDir, "lmhost-test/Tiny-Chat-Stops-GGUF/tiny-chat-stops-F16.gguf", (await ensureFixtures()).chatThatStops);
    server = await startTestServer({ modelsDir });
    shortContextServer = await startTestServer({ modelsDir, contextLength: 64 });
});
afterAll(async () => {
    await server.close();
    await shortContextServer.close();
});

describe("POST /api/v0/completions", () => {
    it("answers with the spec's shape and real token counts", async () => {
        const body = await complete(server, { max_tokens: 10, seed: 3 });
        expectSpecValid(specSchemas.completion, body);
        expect(body.object).toBe("text_completion");
        expect(body.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: "length" });
        expect(body.usage).toEqual({ prompt_tokens: body.usage.prompt_tokens, completion_tokens: 10, total_tokens: body.usage.prompt_tokens + 10 });
        expect(body.usage.prompt_tokens).toBe(await referenceTokenCount((await ensureFixtures()).chat, "Once upon a time"));
    });

    it("uses the raw prompt: a longer prompt costs more prompt tokens", async () => {
        const short = await complete(server, { max_tokens: 1, prompt: "hello" });
        const long = await complete(server, { max_tokens: 1, prompt: "hello hello hello hello" });
        expect(long.usage.prompt_tokens).toBeGreaterThan(short.usage.prompt_tokens);
    });

    it("same seed, same text", async () => {
        const first = await complete(server, { max_tokens: 20, seed: 42, temperature: 1 });
        const second = await complete(server, { max_tokens: 20, seed: 42, temperature: 1 });
        expect(second.choices[0].text).toBe(first.choices[0].text);
    });

    it("generates until the context is full when max_tokens is -1 or absent", async () => {
        for (const limit of [{ max_tokens: -1 }, {}, { max_tokens: null }]) {
            const body = await complete(shortContextServer, { ...limit, temperature: 0 });
            expect(body.choices[0].finish_reason, JSON.stringify(limit)).toBe("length");
            expect(body.stats.stop_reason).toBe("contextLengthReached");
            // llama.cpp rounds a context up to a multiple of 256; model_info reports the context really loaded.
            expect(body.model_info.context_length).toBe(256);
            expect(body.usage.total_tokens).toBe(256);
        }
    });

    it("stops at the end-of-sequence token with stop reason eosFound and finish reason stop", async () => {
        const body = await complete(server, { model: "tiny-chat-stops", max_tokens: 50 });
        expect(body.choices[0]).toMatchObject({ text: "", finish_reason: "stop" });
        expect(body.stats.stop_reason).toBe("eosFound");
        expect(body.usage.completion_tokens).toBe(0);
    });

    it("streams text_completion chunks, then the finish reason, then the totals, then [DONE]", async () => {
        const response = await postJson(`${server.url}/api/v0/completions`, { model, prompt: "Once upon a time", max_tokens: 15, seed: 8, stream: true });
        const { events } = await readEventStream(response);
        expect(events.at(-1)?.data).toBe("[DONE]");
        const chunks = jsonPayloads<Record<string, any>>(events);
        const totals = chunks.at(-1)!;
        expect(chunks.at(-2)!.choices[0].finish_reason).toBe("length");
        expect(totals.choices).toEqual([]);
        expect(totals.usage.completion_tokens).toBe(15);
        expect(Object.keys(totals.stats).sort()).toEqual(["generation_time", "stop_reason", "time_to_first_token", "tokens_per_second"]);
        const text = chunks.slice(0, -2).map((chunk) => chunk.choices[0].text).join("");
        expect(text).toBe((await complete(server, { max_tokens: 15, seed: 8 })).choices[0].text);
    });
});
