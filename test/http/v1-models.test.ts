/** LM Studio's native v1 model management over HTTP, on the real engine. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.js";
import type { RunningServer } from "../../src/server.js";
import { ensureFixtures, placeModel, standardModelsFolder, temporaryFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
const loadLines: string[] = [];
const messages = [{ role: "user", content: "Hello" }];
const models = async () => (await (await fetch(`${server.url}/api/v1/models`)).json()).models as Array<Record<string, any>>;
const instancesOf = async (key: string) => (await models()).find((model) => model.key === key)!.loaded_instances as Array<Record<string, any>>;

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder(), maxJitModels: 4 }, {
        ...silentLogger, info: (message) => { if (message.startsWith("Loading ")) loadLines.push(message); }
    });
});
afterAll(() => server.close());

describe("GET /api/v1/models", () => {
    it("lists models in LM Studio's native shape", async () => {
        const [chat, embed] = await models();
        expect(chat).toMatchObject({
            type: "llm", publisher: "lmhost-test", key: "tiny-chat", display_name: "Tiny Chat", architecture: "llama",
            quantization: { name: "F16", bits_per_weight: 16 }, max_context_length: 2048, format: "gguf",
            capabilities: { vision: false, trained_for_tool_use: true }, loaded_instances: [], source: "models folder"
        });
        expect(chat!.size_bytes).toBeGreaterThan(100_000);
        expect(embed).toMatchObject({ type: "embedding", key: "text-embedding-tiny-embed", capabilities: { trained_for_tool_use: false } });
    });
});

describe("POST /api/v1/models/load and /unload", () => {
    it("loads with context length, parallel slots, ttl and an identifier; requests may use the identifier", async () => {
        const response = await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat", context_length: 512, parallel: 2, ttl: 600, identifier: "my-chat" });
        expect(response.status).toBe(200);
        const loaded = await response.json();
        expect(loaded).toMatchObject({ type: "llm", instance_id: "my-chat", status: "loaded" });
        expect(loaded.load_time_seconds).toBeGreaterThan(0);
        expect(await instancesOf("tiny-chat")).toMatchObject([{
            id: "my-chat", config: { context_length: 512, parallel: 2 }, load_origin: "explicit", ttl_seconds: 600, requests_in_flight: 0
        }]);
        const chat = await (await postJson(`${server.url}/api/v0/chat/completions`, { model: "my-chat", messages, max_tokens: 2 })).json();
        expect(chat.model).toBe("my-chat");
        expect(chat.model_info.context_length).toBe(512);
        await postJson(`${server.url}/api/v1/models/unload`, { instance_id: "my-chat" });
        expect(await instancesOf("tiny-chat")).toEqual([]);
    });

    it("names further instances of one model <id>:2 and refuses a duplicate identifier", async () => {
        const first = await (await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat" })).json();
        const second = await (await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat" })).json();
        expect([first.instance_id, second.instance_id]).toEqual(["tiny-chat", "tiny-chat:2"]);
        for (const identifier of ["tiny-chat", "TINY-CHAT", "text-embedding-tiny-embed"]) {
            const refused = await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat", identifier });
            expect(refused.status, identifier).toBe(400);
            expect((await refused.json()).error.code).toBe("identifier_in_use");
        }
        for (const id of ["tiny-chat", "tiny-chat:2"]) {
            const unloaded = await postJson(`${server.url}/api/v1/models/unload`, { instance_id: id });
            expect(await unloaded.json()).toEqual({ instance_id: id });
        }
    });

    it("answers 404 for an unknown model or instance", async () => {
        expect((await postJson(`${server.url}/api/v1/models/load`, { model: "nope" })).status).toBe(404);
        const unload = await postJson(`${server.url}/api/v1/models/unload`, { instance_id: "nope" });
        expect(unload.status).toBe(404);
        expect((await unload.json()).error.code).toBe("model_not_loaded");
    });

    it("ends a generation running on an unloaded model with stop reason modelUnloaded", async () => {
        await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat", identifier: "doomed", context_length: 4096 });
        const response = await postJson(`${server.url}/api/v0/chat/completions`, { model: "doomed", messages, stream: true, temperature: 0 });
        const reader = response.body!.getReader();
        await reader.read();
        await postJson(`${server.url}/api/v1/models/unload`, { instance_id: "doomed" });
        let rest = "";
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
        const totals = rest.split("\n\n").filter((line) => line.startsWith("data: {")).map((line) => JSON.parse(line.slice(6))).at(-1);
        expect(totals.stats.stop_reason).toBe("modelUnloaded");
    });

    it("ends a /v1 stream cut by an unload with an error event, not a finish reason that passes for a whole answer", async () => {
        await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat", identifier: "doomed-v1", context_length: 4096 });
        const response = await postJson(`${server.url}/v1/chat/completions`, { model: "doomed-v1", messages, stream: true, temperature: 0 });
        const reader = response.body!.getReader();
        await reader.read();
        await postJson(`${server.url}/api/v1/models/unload`, { instance_id: "doomed-v1" });
        let rest = "";
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
        const events = rest.split("\n\n").filter((line) => line.startsWith("data: "));
        expect(events.at(-1)).not.toBe("data: [DONE]");
        expect(JSON.parse(events.at(-1)!.slice(6))).toMatchObject({ error: { code: "model_unloaded", type: "server_error" } });
        expect(rest).not.toMatch(/"finish_reason":"stop"/);
    });
});

describe("JIT loading over HTTP", () => {
    it("serves racing requests for a not-loaded model with exactly one load", async () => {
        loadLines.length = 0;
        const responses = await Promise.all(Array.from({ length: 6 }, () =>
            postJson(`${server.url}/v1/embeddings`, { model: "text-embedding-tiny-embed", input: "hello" })));
        expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
        expect(loadLines).toHaveLength(1);
        expect(await instancesOf("text-embedding-tiny-embed")).toMatchObject([{ id: "text-embedding-tiny-embed", load_origin: "jit", ttl_seconds: 3600 }]);
    });

    it("sets the TTL of a JIT load from the request's ttl", async () => {
        await postJson(`${server.url}/api/v1/models/unload`, { instance_id: "text-embedding-tiny-embed" });
        await postJson(`${server.url}/api/v0/embeddings`, { model: "text-embedding-tiny-embed", input: "x", ttl: 42 });
        expect((await instancesOf("text-embedding-tiny-embed"))[0]!.ttl_seconds).toBe(42);
    });
});

describe("POST /api/v1/models/unload-all", () => {
    it("unloads every instance and cancels a load in flight, whose request gets load_cancelled", async () => {
        await postJson(`${server.url}/api/v1/models/unload-all`, {});
        await postJson(`${server.url}/api/v1/models/load`, { model: "text-embedding-tiny-embed" });
        loadLines.length = 0;
        const waiting = postJson(`${server.url}/v1/chat/completions`, { model: "tiny-chat", messages, max_tokens: 2 });
        for (let i = 0; i < 200 && loadLines.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        const response = await postJson(`${server.url}/api/v1/models/unload-all`, {});
        expect(await response.json()).toEqual({ unloaded: ["text-embedding-tiny-embed"], cancelled_loads: ["tiny-chat"] });
        const cancelled = await waiting;
        expect(cancelled.status).toBe(503);
        expect((await cancelled.json()).error).toMatchObject({ code: "load_cancelled" });
        expect(server.lifecycle.instances()).toEqual([]);
        // Nothing is left half-loaded: the next request loads the model again.
        expect((await postJson(`${server.url}/v1/chat/completions`, { model: "tiny-chat", messages, max_tokens: 2 })).status).toBe(200);
    });
});

describe("concurrent JIT loads of different models", () => {
    it("keep --max-jit-models: three requests for three models at once leave one loaded", async () => {
        const folder = await temporaryFolder();
        const fixtures = await ensureFixtures();
        for (const name of ["one", "two", "three"]) await placeModel(folder, `lmhost-test/Embed-GGUF/embed-${name}-F32.gguf`, fixtures.embedding);
        const limited = await startTestServer({ modelsDir: folder, maxJitModels: 1 });
        try {
            const responses = await Promise.all(["one", "two", "three"].map((name) =>
                postJson(`${limited.url}/v1/embeddings`, { model: `text-embedding-embed-${name}`, input: "hello" })));
            expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
            await new Promise((resolve) => setTimeout(resolve, 200));
            const listed = (await (await fetch(`${limited.url}/api/v0/models`)).json()).data as Array<{ id: string; state: string }>;
            expect(listed.filter((model) => model.state === "loaded")).toHaveLength(1);
            expect(limited.lifecycle.instances()).toHaveLength(1);
        } finally {
            await limited.close();
        }
    });
});

describe("KV cache types", () => {
    beforeAll(async () => {
        const fixtures = await ensureFixtures();
        const folder = server.catalog.sources[0]!.path;
        await placeModel(folder, "lmhost-test/Tiny-Chat-Wide-GGUF/tiny-chat-wide-heads-F16.gguf", fixtures.wideHeadChat);
    });

    it("loads with a quantized KV cache: smaller in the memory estimate, and it generates", async () => {
        for (const [identifier, kvCacheType] of [["kv-f16", "f16"], ["kv-q8", "q8_0"], ["kv-q4", "q4_0"]]) {
            const loaded = await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat-wide-heads", identifier, kv_cache_type: kvCacheType, context_length: 2048, parallel: 4 });
            expect(loaded.status, await loaded.clone().text()).toBe(200);
        }
        const contextRam = (id: string) => server.lifecycle.instanceNamed(id)!.engine.estimate.contextRam;
        expect(contextRam("kv-q8")).toBeLessThan(contextRam("kv-f16") * 0.75);
        expect(contextRam("kv-q4")).toBeLessThan(contextRam("kv-q8"));
        expect((await instancesOf("tiny-chat-wide-heads")).find((instance) => instance.id === "kv-q8")!.config.kv_cache_type).toBe("q8_0");
        for (const model of ["kv-q8", "kv-q4"]) {
            const chat = await postJson(`${server.url}/v1/chat/completions`, { model, messages, max_tokens: 4 });
            expect(chat.status).toBe(200);
            expect((await chat.json()).usage.completion_tokens).toBeGreaterThan(0);
        }
        for (const id of ["kv-f16", "kv-q8", "kv-q4"]) await postJson(`${server.url}/api/v1/models/unload`, { instance_id: id });
        expect((await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat-wide-heads", kv_cache_type: "q2_k" })).status).toBe(400);
    });

});
