import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { expectSpecValid, specSchemas } from "../support/specSchemas.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
});
afterAll(() => server.close());

describe("GET /api/v0/models", () => {
    it("lists every model with the spec's shape", async () => {
        const response = await fetch(`${server.url}/api/v0/models`);
        expect(response.status).toBe(200);
        const body = await response.json();
        expectSpecValid(specSchemas.models, body);
        expect(body.data).toEqual([
            {
                id: "tiny-chat", object: "model", type: "llm", publisher: "lmhost-test", arch: "llama",
                compatibility_type: "gguf", quantization: "F16", state: "not-loaded", max_context_length: 2048
            },
            {
                id: "text-embedding-tiny-embed", object: "model", type: "embeddings", publisher: "lmhost-test", arch: "bert",
                compatibility_type: "gguf", quantization: "F32", state: "not-loaded", max_context_length: 512
            }
        ]);
    });
});

describe("GET /api/v0/models/{model}", () => {
    it("describes one LLM with the spec's shape", async () => {
        const body = await (await fetch(`${server.url}/api/v0/models/tiny-chat`)).json();
        expectSpecValid(specSchemas.model, body);
        expect(body).toMatchObject({ id: "tiny-chat", type: "llm", arch: "llama" });
    });

    it("describes an embedding model with the list item's shape", async () => {
        const body = await (await fetch(`${server.url}/api/v0/models/text-embedding-tiny-embed`)).json();
        expectSpecValid(specSchemas.models, { object: "list", data: [body] });
        expect(body).toMatchObject({ type: "embeddings", arch: "bert" });
    });

    it("accepts publisher/repo and id@quant references", async () => {
        for (const reference of ["lmhost-test/Tiny-Chat-GGUF", "lmhost-test%2FTiny-Chat-GGUF", "tiny-chat@f16"]) {
            const response = await fetch(`${server.url}/api/v0/models/${reference}`);
            expect(response.status, reference).toBe(200);
            expect((await response.json()).id).toBe("tiny-chat");
        }
    });

    it("answers 404 model_not_found for an unknown model, naming the available ids", async () => {
        const response = await fetch(`${server.url}/api/v0/models/no-such-model`);
        expect(response.status).toBe(404);
        const body = await response.json();
        expect(body.error).toMatchObject({ type: "invalid_request_error", code: "model_not_found", param: "model" });
        expect(body.error.message).toContain("tiny-chat");
    });

    it("shows state: loaded after a request loaded the model (JIT)", async () => {
        const before = await (await fetch(`${server.url}/api/v0/models/text-embedding-tiny-embed`)).json();
        expect(before.state).toBe("not-loaded");
        const embedded = await postJson(`${server.url}/api/v0/embeddings`, { model: "text-embedding-tiny-embed", input: "hello" });
        expect(embedded.status).toBe(200);
        const after = await (await fetch(`${server.url}/api/v0/models/text-embedding-tiny-embed`)).json();
        expect(after.state).toBe("loaded");
        const list = await (await fetch(`${server.url}/api/v0/models`)).json();
        expect(list.data.find((model: { id: string }) => model.id === "text-embedding-tiny-embed").state).toBe("loaded");
    });
});
