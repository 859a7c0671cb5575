/** Reranking on the real engine: a reranker GGUF (rank pooling, classification head) through /v1/rerank and /rerank. */
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { ensureFixtures, placeModel, standardModelsFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
const query = "weather in paris";
const documents = ["the weather today", "a river in the mountains", "garden window", "morning market station"];

beforeAll(async () => {
    const folder = await standardModelsFolder();
    await placeModel(folder, "lmhost-test/tiny-reranker-GGUF/tiny-reranker.gguf", (await ensureFixtures()).reranker);
    server = await startTestServer({ modelsDir: folder, maxJitModels: 4 });
});
afterAll(() => server.close());

describe("reranking", () => {
    it("lists the reranker with its own type (as embeddings in LM Studio's v0, which has no such type)", async () => {
        const v1 = (await (await fetch(`${server.url}/api/v1/models`)).json()).models.find((model: { key: string }) => model.key === "tiny-reranker");
        expect(v1.type).toBe("reranker");
        const openAi = (await (await fetch(`${server.url}/v1/models`)).json()).data.find((model: { id: string }) => model.id === "tiny-reranker");
        expect(openAi.type).toBe("reranker");
        expect((await (await fetch(`${server.url}/api/v0/models/tiny-reranker`)).json()).type).toBe("embeddings");
    });

    it("scores every document as the engine's ranking context does, most relevant first", async () => {
        const response = await postJson(`${server.url}/v1/rerank`, { model: "tiny-reranker", query, documents, return_documents: true });
        expect(response.status).toBe(200);
        const body = await response.json();
        expect(body).toMatchObject({ model: "tiny-reranker", object: "list" });
        expect(body.results.map((result: { index: number }) => result.index).sort()).toEqual([0, 1, 2, 3]);
        const scores = body.results.map((result: { relevance_score: number }) => result.relevance_score);
        expect([...scores].sort((a, b) => b - a)).toEqual(scores);
        for (const result of body.results) expect(result.document.text).toBe(documents[result.index]);
        expect(body.usage.prompt_tokens).toBeGreaterThan(documents.length);
        // The same scores from node-llama-cpp's ranking context on the same file.
        const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
        const model = await llama.loadModel({ modelPath: (await ensureFixtures()).reranker });
        const context = await model.createRankingContext({ contextSize: 512, threads: 1 });
        const direct = await context.rankAll(query, documents);
        await model.dispose();
        for (const result of body.results) expect(result.relevance_score).toBeCloseTo(direct[result.index]!, 5);
    });

    it("keeps the best top_n, answers at /rerank too, and refuses models that are no rerankers", async () => {
        const top = await (await postJson(`${server.url}/rerank`, { model: "tiny-reranker", query, documents: documents.map((text) => ({ text })), top_n: 2 })).json();
        expect(top.results).toHaveLength(2);
        expect(top.results[0].document).toBeUndefined();
        expect((await postJson(`${server.url}/v1/rerank`, { model: "tiny-chat", query, documents })).status).toBe(400);
        expect((await postJson(`${server.url}/v1/chat/completions`, { model: "tiny-reranker", messages: [{ role: "user", content: "Hi" }] })).status).toBe(400);
    });
});
