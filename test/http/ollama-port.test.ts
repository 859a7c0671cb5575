/**
 * `--ollama-port`: a second listener serving Ollama's API alone (and /health), with the same app as the main one:
 * the same routes, keys, metrics and shutdown. Everything else is 404 there, in Ollama's error shape.
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartupError, type RunningServer } from "../../src/server.js";
import { standardModelsFolder, temporaryFolder } from "../support/fixtures.js";
import { metricValue, readMetrics } from "../support/metrics.js";
import { postJson, startTestServer } from "../support/testServer.js";

const portOf = (url: string) => Number(new URL(url).port);

/** Whether `port` on 127.0.0.1 can be listened on right now. */
function canListen(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const probe = createServer();
        probe.once("error", () => resolve(false));
        probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
}

/** A port free a moment ago. */
function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const probe = createServer().listen(0, "127.0.0.1", () => {
            const { port } = probe.address() as { port: number };
            probe.close(() => resolve(port));
        });
    });
}

/** A connection that sends nothing (a browser's preconnect, a pool's spare), resolved once it is open. */
function idleConnection(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => resolve(socket));
        socket.once("error", reject);
    });
}

describe("the Ollama listener", () => {
    let server: RunningServer;
    beforeAll(async () => {
        server = await startTestServer({ modelsDir: await temporaryFolder(), ollamaPort: 0 });
    });
    afterAll(() => server.close());

    const onOllamaPort = (path: string, init?: RequestInit) => fetch(`${server.ollamaUrl}${path}`, init);
    const onMainPort = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

    it("listens on its own port of the same host, and says where", () => {
        expect(server.ollamaUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(portOf(server.ollamaUrl!)).not.toBe(portOf(server.url));
    });

    it("is off unless asked for", async () => {
        const plain = await startTestServer({ modelsDir: await temporaryFolder() });
        try {
            expect(plain.ollamaUrl).toBeNull();
            expect(plain.app.ollamaListener.servers).toEqual([]);
        } finally {
            await plain.close();
        }
    });

    it("has the main server's timeouts and limits: no request timeout cutting long streams, the same keep-alive", () => {
        const [ollama] = server.app.ollamaListener.servers;
        const main = server.app.server;
        expect(ollama).toBeDefined();
        for (const setting of ["requestTimeout", "headersTimeout", "keepAliveTimeout", "timeout", "maxRequestsPerSocket", "maxHeadersCount"] as const) {
            expect(ollama![setting], setting).toBe(main[setting]);
        }
        expect(ollama!.requestTimeout).toBe(0);
        expect(ollama!.listeners("clientError")).toEqual(main.listeners("clientError"));
    });

    it("answers Ollama's paths on both ports, in Ollama's error shape where there is no such route", async () => {
        for (const call of [onOllamaPort, onMainPort]) {
            const response = await call("/api/no-such-route");
            expect(response.status).toBe(404);
            expect(await response.json()).toEqual({ error: "Unknown route: GET /api/no-such-route" });
        }
    });

    it("answers GET / with \"Ollama is running\" on both ports", async () => {
        for (const call of [onOllamaPort, onMainPort]) {
            const response = await call("/");
            expect(response.status).toBe(200);
            expect(await response.text()).toBe("Ollama is running");
            expect((await call("/", { method: "HEAD" })).status).toBe(200);
        }
    });

    it("answers GET /api/version on both ports", async () => {
        for (const call of [onOllamaPort, onMainPort]) {
            const response = await call("/api/version");
            expect(response.status).toBe(200);
            expect(await response.json()).toMatchObject({ version: expect.any(String) });
        }
    });

    it("answers 404 in Ollama's shape for the other APIs, which stay on the main port", async () => {
        const main = await onMainPort("/v1/models");
        expect(main.status).toBe(200);
        expect((await main.json()).object).toBe("list");
        const ollama = await onOllamaPort("/v1/models");
        expect(ollama.status).toBe(404);
        expect(await ollama.json()).toEqual({ error: "Unknown route: GET /v1/models" });

        for (const path of ["/api/v0/models", "/api/v1/models", "/v1/models?x=1", "/docs/", "/openapi.json", "/metrics", "/v1/messages", "/api", "/no/such/route"]) {
            expect((await onMainPort(path)).status, `main ${path}`).not.toBe(500);
            const response = await onOllamaPort(path);
            expect(response.status, path).toBe(404);
            expect(Object.keys(await response.json()), path).toEqual(["error"]);
        }
        const post = await onOllamaPort("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
        expect(post.status).toBe(404);
        expect(await post.json()).toEqual({ error: "Unknown route: POST /v1/chat/completions" });
    });

    it("does not let a percent-encoded path reach another API's route", async () => {
        // "%76" is "v": the router may decode it to /api/v1/models, which the path alone would not show.
        const response = await onOllamaPort("/api/%761/models");
        expect(response.status).toBe(404);
        expect(Object.keys(await response.json())).toEqual(["error"]);
    });

    it("keeps /health, and counts its requests in the shared metrics", async () => {
        const metric = async () => metricValue(await readMetrics(server.url), "lmhost_http_requests_total", 'route="/health",method="GET",status="200"');
        const before = await metric();
        const health = await onOllamaPort("/health");
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: "ok" });
        expect(await metric()).toBe(before + 1);
    });

});

describe("the Ollama listener with API keys and CORS", () => {
    let server: RunningServer;
    beforeAll(async () => {
        server = await startTestServer({ modelsDir: await temporaryFolder(), ollamaPort: 0, apiKey: ["secret-key"], cors: true });
    });
    afterAll(() => server.close());

    it("requires the key, answering 401 in Ollama's shape", async () => {
        const missing = await fetch(`${server.ollamaUrl}/api/tags`);
        expect(missing.status).toBe(401);
        expect(missing.headers.get("www-authenticate")).toContain("Bearer");
        expect(await missing.json()).toEqual({ error: expect.stringMatching(/^Missing API key/) });
        const wrong = await fetch(`${server.ollamaUrl}/api/tags`, { headers: { authorization: "Bearer other-key" } });
        expect(wrong.status).toBe(401);
        expect(await wrong.json()).toEqual({ error: "Invalid API key." });
        const keyed = await fetch(`${server.ollamaUrl}/api/tags`, { headers: { authorization: "Bearer secret-key" } });
        expect(keyed.status).toBe(200);
        expect(await keyed.json()).toEqual({ models: [] });
        expect((await fetch(`${server.ollamaUrl}/api/tags`, { headers: { "x-api-key": "secret-key" } })).status).toBe(200);
        const unknown = await fetch(`${server.ollamaUrl}/api/no-such-route`);
        expect(unknown.status).toBe(401);
        expect(Object.keys(await unknown.json())).toEqual(["error"]);
    });

    it("answers CORS preflights for Ollama's routes, without the key, as the main port does", async () => {
        const preflight = (path: string) => fetch(`${server.ollamaUrl}${path}`, {
            method: "OPTIONS", headers: { origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "content-type" }
        });
        const ollama = await preflight("/api/chat");
        expect(ollama.status).toBe(204);
        expect(ollama.headers.get("access-control-allow-origin")).toBe("*");
        const other = await preflight("/v1/chat/completions");
        expect(other.status).toBe(404);
        expect(Object.keys(await other.json())).toEqual(["error"]);
        const tags = await fetch(`${server.ollamaUrl}/api/tags`, { headers: { origin: "http://localhost:3000", authorization: "Bearer secret-key" } });
        expect(tags.headers.get("access-control-allow-origin")).toBe("*");
    });

    it("leaves /health open, as on the main port", async () => {
        expect((await fetch(`${server.ollamaUrl}/health`)).status).toBe(200);
    });

    it("answers 404 for another API's route, key or not: it is not there", async () => {
        for (const headers of [{}, { authorization: "Bearer secret-key" }] as Array<Record<string, string>>) {
            const response = await fetch(`${server.ollamaUrl}/v1/models`, { headers });
            expect(response.status).toBe(404);
            expect(await response.json()).toEqual({ error: "Unknown route: GET /v1/models" });
        }
        expect((await fetch(`${server.url}/v1/models`, { headers: { authorization: "Bearer secret-key" } })).status).toBe(200);
    });
});

describe("the Ollama listener's start and stop", () => {
    it("binds what the main listener binds for localhost (127.0.0.1 and ::1 where both resolve)", async () => {
        const server = await startTestServer({ modelsDir: await temporaryFolder(), host: "localhost", ollamaPort: 0 });
        try {
            expect(server.ollamaUrl).toMatch(/^http:\/\/localhost:\d+$/);
            const bound = server.app.ollamaListener.servers.map((listener) => listener.address() as AddressInfo);
            expect(new Set(bound.map((address) => address.port))).toEqual(new Set([portOf(server.ollamaUrl!)]));
            expect(bound.map((address) => address.address).sort()).toEqual(server.app.addresses().map((address) => (address as AddressInfo).address).sort());
            expect((await fetch(`${server.ollamaUrl}/v1/models`)).status).toBe(404);
        } finally {
            await server.close();
        }
    });

    it("is released by close(), idle and kept-alive connections included, so it can be listened on right after", async () => {
        const server = await startTestServer({ modelsDir: await temporaryFolder(), ollamaPort: 0 });
        const port = portOf(server.ollamaUrl!);
        // A kept-alive connection from a request, and one that never sent a request: neither may hold close().
        expect((await fetch(`${server.ollamaUrl}/health`)).status).toBe(200);
        const idle = await idleConnection(port);
        const ended = new Promise<void>((resolve) => idle.once("close", () => resolve()));
        const started = performance.now();
        await server.close();
        expect(performance.now() - started).toBeLessThan(5_000);
        await ended;
        expect(await canListen(port)).toBe(true);
        expect(await canListen(portOf(server.url))).toBe(true);
    });

    it("fails the start in one line naming the flag when its port is taken, and frees the main port", async () => {
        const blocker = createServer().listen(0, "127.0.0.1");
        await new Promise((resolve) => blocker.once("listening", resolve));
        const port = (blocker.address() as { port: number }).port;
        const mainPort = await freePort();
        try {
            const start = startTestServer({ modelsDir: await temporaryFolder(), port: mainPort, ollamaPort: port });
            await expect(start).rejects.toThrow(StartupError);
            await expect(start).rejects.toThrow(`port ${port} on 127.0.0.1 (--ollama-port) is already in use; is Ollama itself running?`);
            expect(await canListen(mainPort)).toBe(true);
        } finally {
            blocker.close();
        }
    });

    it("streams from the shared engines, and close() stops it and the listener as it does the main one's", async () => {
        const server = await startTestServer({ modelsDir: await standardModelsFolder(), ollamaPort: 0, shutdownTimeout: 1, contextLength: 32768 });
        const port = portOf(server.ollamaUrl!);
        const response = await postJson(`${server.ollamaUrl}/api/generate`, { model: "tiny-chat", prompt: "Once upon a time", raw: true, options: { num_predict: -1 } });
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = "";
        while (!text.includes("\n")) text += decoder.decode((await reader.read()).value);
        expect(JSON.parse(text.split("\n")[0]!)).toMatchObject({ done: false });

        const started = performance.now();
        const closed = server.close();
        // No new connections from the start of the shutdown; the running stream goes on until the shutdown timeout.
        let refused = false;
        for (let i = 0; i < 40 && !refused; i++) {
            refused = await new Promise<boolean>((resolve) => {
                const probe = connect(port, "127.0.0.1", () => { probe.destroy(); resolve(false); });
                probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
            });
            if (!refused) await new Promise((resolve) => setTimeout(resolve, 25));
        }
        expect(refused).toBe(true);
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
        await closed;
        expect(performance.now() - started).toBeLessThan(8_000);
        const last = JSON.parse(text.trim().split("\n").at(-1)!);
        expect(last.done === true || typeof last.error === "string", JSON.stringify(last)).toBe(true);
        expect(await canListen(port)).toBe(true);
    });

    it("is refused when it is the main port", async () => {
        const port = await freePort();
        await expect(startTestServer({ modelsDir: await temporaryFolder(), port, ollamaPort: port })).rejects.toThrow(`--ollama-port must differ from --port, both ${port}`);
    });
});
