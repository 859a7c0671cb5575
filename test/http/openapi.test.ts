import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { temporaryFolder } from "../support/fixtures.js";
import { startTestServer } from "../support/testServer.js";

let server: RunningServer;

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await temporaryFolder() });
});
afterAll(() => server.close());

describe("GET /openapi.json", () => {
    it("documents both APIs from the route schemas", async () => {
        const document = await (await fetch(`${server.url}/openapi.json`)).json();
        expect(document.openapi).toMatch(/^3\./);
        expect(Object.keys(document.paths).sort()).toEqual([
            "/", "/api/chat", "/api/copy", "/api/delete", "/api/embed", "/api/embeddings", "/api/generate", "/api/ps", "/api/pull", "/api/show", "/api/tags", "/api/v0/chat/completions", "/api/v0/completions", "/api/v0/embeddings", "/api/v0/models", "/api/v0/models/{model}",
            "/api/v1/chat", "/api/v1/models", "/api/v1/models/download", "/api/v1/models/download/status/{job_id}", "/api/v1/models/load", "/api/v1/models/unload",
            "/api/v1/models/unload-all", "/api/version", "/apply-template", "/detokenize", "/health", "/lmhost/status", "/metrics", "/rerank", "/tokenize", "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/messages",
            "/v1/messages/count_tokens", "/v1/models", "/v1/models/{model}", "/v1/rerank", "/v1/responses", "/v1/responses/input_tokens", "/v1/responses/{id}",
            "/v1/responses/{id}/input_items"
        ]);
        const chat = document.paths["/v1/chat/completions"].post;
        const request = chat.requestBody.content["application/json"].schema;
        expect(request.required).toEqual(["model", "messages"]);
        expect(Object.keys(request.properties)).toEqual(expect.arrayContaining(["tools", "tool_choice", "response_format", "logprobs", "stream_options"]));
        expect(chat.responses["200"].content["application/json"].schema.properties.choices).toBeDefined();
        // Streams are documented too: each event's data is a chunk of this schema.
        expect(chat.responses["200"].content["text/event-stream"].schema.properties.object.enum ?? [chat.responses["200"].content["text/event-stream"].schema.properties.object.const])
            .toEqual(["chat.completion.chunk"]);
        expect(Object.keys(document.paths["/api/v0/completions"].post.responses["200"].content)).toEqual(["application/json", "text/event-stream"]);
        expect(document.paths["/metrics"].get.responses["200"]).toBeDefined();
        // Without --api-key there is nothing to authorize.
        expect(document.components?.securitySchemes).toBeUndefined();
        expect(chat.responses["4XX"] ?? chat.responses["4xx"]).toBeDefined();
        const v0Chat = document.paths["/api/v0/chat/completions"].post.responses["200"].content["application/json"].schema;
        expect(Object.keys(v0Chat.properties)).toEqual(["id", "object", "created", "model", "choices", "usage", "stats", "model_info", "runtime"]);
    });

    it("has a browsable docs page served without any CDN", async () => {
        const page = await fetch(`${server.url}/docs/`);
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain("Swagger UI");
        expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"']*\.(js|css)/);
        expect((await fetch(`${server.url}/docs/static/swagger-ui-bundle.js`)).status).toBe(200);
    });
});
