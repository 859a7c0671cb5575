/** API keys on every route, and CORS: off by default, on for the origins asked for. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { speaksOllama } from "../../src/http/errorEnvelope.js";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

describe("API keys", () => {
    let server: RunningServer;
    beforeAll(async () => {
        server = await startTestServer({ modelsDir: await standardModelsFolder(), apiKey: ["key-one", "key-two"] });
    });
    afterAll(() => server.close());

    const call = (method: string, url: string, headers: Record<string, string> = {}) => fetch(`${server.url}${url.replace(/\*$|:model$|:job_id$/, "x")}`, {
        method, headers: { "content-type": "application/json", ...headers }, ...(method === "POST" ? { body: "{}" } : {})
    });

    it("refuses every route without a key, with a 401 in the route's API's shape", async () => {
        const routes = server.app.routeList.filter((route) => route.method !== "HEAD" && !route.url.startsWith("/docs") && !route.url.startsWith("/assets/") && !["/openapi.json", "/health", "/"].includes(route.url));
        expect(routes.length).toBeGreaterThan(15);
        for (const route of routes) {
            const response = await call(route.method, route.url);
            expect(response.status, `${route.method} ${route.url}`).toBe(401);
            const body = await response.json();
            if (route.url.startsWith("/v1/messages")) expect(body).toMatchObject({ type: "error", error: { type: "authentication_error" } });
            else if (speaksOllama(route.url)) expect(body).toEqual({ error: expect.stringContaining("API key") });
            else expect(body.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
        }
        expect((await call("GET", "/no/such/route")).status).toBe(401);
    });

    it("refuses a wrong key, and says a key is missing when there is none", async () => {
        const wrong = await call("GET", "/api/v0/models", { authorization: "Bearer key-three" });
        expect(wrong.status).toBe(401);
        expect((await wrong.json()).error.message).toBe("Invalid API key.");
        expect(wrong.headers.get("www-authenticate")).toContain("Bearer");
        expect((await (await call("GET", "/api/v0/models")).json()).error.message).toMatch(/Missing API key/);
        expect((await call("GET", "/api/v0/models", { "x-api-key": "key-one-and-more" })).status).toBe(401);
    });

    it("accepts any configured key, as a bearer token or in x-api-key", async () => {
        expect((await call("GET", "/api/v0/models", { authorization: "Bearer key-one" })).status).toBe(200);
        expect((await call("GET", "/v1/models", { "x-api-key": "key-two" })).status).toBe(200);
        const chat = await postJson(`${server.url}/v1/chat/completions`, { model: "tiny-chat", messages: [{ role: "user", content: "hi" }], max_tokens: 2 },
            { headers: { "content-type": "application/json", authorization: "bearer key-two" } });
        expect(chat.status).toBe(200);
    });

    it("leaves the API description and the liveness probe open: they hold no data", async () => {
        expect((await call("GET", "/openapi.json")).status).toBe(200);
        expect((await call("GET", "/docs/")).status).toBe(200);
        const health = await call("GET", "/health");
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: "ok" });
        expect((await call("GET", "/health?model=tiny-chat")).status, "a model's state is data").toBe(401);
        expect(await (await call("GET", "/")).text(), "Ollama's clients probe it").toBe("Ollama is running");
        expect((await call("GET", "/health?model=tiny-chat", { authorization: "Bearer key-one" })).status).not.toBe(401);
    });

    it("declares the key in the OpenAPI document, so /docs can authorize", async () => {
        const document = await (await call("GET", "/openapi.json")).json();
        expect(document.components.securitySchemes).toMatchObject({ bearerKey: { type: "http", scheme: "bearer" }, headerKey: { type: "apiKey", in: "header", name: "x-api-key" } });
        expect(document.security).toEqual([{ bearerKey: [] }, { headerKey: [] }]);
        expect(document.paths["/health"].get.security).toEqual([]);
    });
});

describe("CORS", () => {
    const preflight = (url: string, origin: string, extra: Record<string, string> = {}) => fetch(url, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization", ...extra }
    });

    it("is off by default: no cross-origin headers, preflights not answered", async () => {
        const server = await startTestServer({ modelsDir: await standardModelsFolder() });
        try {
            const response = await preflight(`${server.url}/v1/chat/completions`, "https://example.com");
            expect(response.headers.get("access-control-allow-origin")).toBeNull();
            expect(response.status).toBe(404);
            const simple = await fetch(`${server.url}/v1/models`, { headers: { origin: "https://example.com" } });
            expect(simple.headers.get("access-control-allow-origin")).toBeNull();
        } finally {
            await server.close();
        }
    });

    it("answers preflights for the allowed origins, including Private Network Access, and still requires the key", async () => {
        const server = await startTestServer({ modelsDir: await standardModelsFolder(), cors: "https://app.example.com", apiKey: "secret" });
        try {
            const allowed = await preflight(`${server.url}/v1/chat/completions`, "https://app.example.com", { "access-control-request-private-network": "true" });
            expect(allowed.status).toBe(204);
            expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
            expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
            expect(allowed.headers.get("access-control-allow-headers")).toContain("authorization");
            expect(allowed.headers.get("access-control-allow-private-network")).toBe("true");
            const other = await preflight(`${server.url}/v1/chat/completions`, "https://evil.example.com");
            expect(other.headers.get("access-control-allow-origin")).toBeNull();
            const simple = await fetch(`${server.url}/v1/models`, { headers: { origin: "https://app.example.com", authorization: "Bearer secret" } });
            expect(simple.status).toBe(200);
            expect(simple.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
            const noKey = await fetch(`${server.url}/v1/models`, { headers: { origin: "https://app.example.com" } });
            expect(noKey.status).toBe(401);
        } finally {
            await server.close();
        }
    });

    it("allows any origin with a bare --cors", async () => {
        const server = await startTestServer({ modelsDir: await standardModelsFolder(), cors: true });
        try {
            const response = await preflight(`${server.url}/api/v0/models`, "http://localhost:5173");
            expect(response.headers.get("access-control-allow-origin")).toBe("*");
            expect(response.headers.get("access-control-allow-methods")).toContain("DELETE");
            // Streams write their headers themselves: the CORS headers must come along (SSE and NDJSON).
            const origin = { origin: "http://localhost:5173", "content-type": "application/json" };
            const chat = { model: "tiny-chat", messages: [{ role: "user", content: "hi" }], max_tokens: 2, stream: true };
            for (const [path, body] of [["/v1/chat/completions", chat], ["/api/chat", { ...chat, options: { num_predict: 2 } }]] as const) {
                const streamed = await fetch(`${server.url}${path}`, { method: "POST", headers: origin, body: JSON.stringify(body) });
                expect(streamed.headers.get("access-control-allow-origin"), path).toBe("*");
                await streamed.text();
            }
        } finally {
            await server.close();
        }
    });
});
