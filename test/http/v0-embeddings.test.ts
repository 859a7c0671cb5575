import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { expectSpecValid, specSchemas } from "../support/specSchemas.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
const model = "text-embedding-tiny-embed";

async function embed(input: unknown) {
    const response = await postJson(`${server.url}/api/v0/embeddings`, { model, input });
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json();
}

const norm = (vector: number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
});
afterAll(() => server.close());

describe("POST /api/v0/embeddings", () => {
    it("embeds a string into one L2-normalized vector, with the spec's shape", async () => {
        const body = await embed("The quick brown fox");
        expectSpecValid(specSchemas.embeddings, body);
        expect(body.model).toBe(model);
        expect(body.data).toHaveLength(1);
        expect(body.data[0].embedding).toHaveLength(64);
        expect(norm(body.data[0].embedding)).toBeCloseTo(1, 5);
        // [CLS] the quick brown fox [SEP]
        expect(body.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    });

    it("embeds an array in order, one vector per input, and counts all tokens", async () => {
        const inputs = ["hello world", "the capital of france", "hello world"];
        const body = await embed(inputs);
        expect(body.data.map((item: { index: number }) => item.index)).toEqual([0, 1, 2]);
        expect(body.data[2].embedding).toEqual(body.data[0].embedding);
        expect(body.data[1].embedding).not.toEqual(body.data[0].embedding);
        const single = await embed("the capital of france");
        expect(body.data[1].embedding).toEqual(single.data[0].embedding);
        expect(body.usage.prompt_tokens).toBe(4 + 6 + 4);
    });

    it("rejects an input longer than the model's context with context_length_exceeded", async () => {
        const response = await postJson(`${server.url}/api/v0/embeddings`, { model, input: ["short", "word ".repeat(600)] });
        expect(response.status).toBe(400);
        expect((await response.json()).error).toMatchObject({ code: "context_length_exceeded", param: "input" });
    });
});
