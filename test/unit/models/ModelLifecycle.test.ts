import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/logger.js";
import type { CatalogEntry } from "../../../src/models/catalog/ModelCatalog.js";
import { InsufficientMemory, compiledCpuBackendWouldHelp, ModelLifecycle, promptCacheFolder, type LoadSettings } from "../../../src/models/lifecycle/ModelLifecycle.js";
import { FakeClock } from "../../support/fakes/FakeClock.js";
import { fakeEngineStarter } from "../../support/fakes/fakeEngine.js";

function entry(id: string, type: "llm" | "embeddings" = "llm"): CatalogEntry {
    return {
        id, type, publisher: "p", repo: "r", path: `/models/p/r/${id}.gguf`, source: "models folder", sizeBytes: 1, modifiedAt: new Date(0),
        architecture: "llama", quantization: "F16", maxContextLength: 2048,
        header: { architecture: "llama", name: id, sizeLabel: null, quantization: "F16", trainedContextLength: 2048, embeddingLength: 64, poolingType: null, chatTemplate: null, bosToken: null, eosToken: null, splitCount: null },
        candidate: { baseId: id, quantization: "F16", relativePath: `p/r/${id}.gguf`, publisher: "p", repo: "r" }
    };
}

const settings: LoadSettings = { contextLength: null, parallel: 4, threads: 1, gpu: false, engineBuild: "prebuilt", jitTtlSeconds: 60, maxJitModels: 1, maxQueue: 16 };

function setUp(overrides: Partial<LoadSettings> = {}, memory = () => 1e12, estimateFor?: Parameters<typeof fakeEngineStarter>[0]) {
    const clock = new FakeClock();
    const engines = fakeEngineStarter(estimateFor);
    const lifecycle = new ModelLifecycle({ ...settings, ...overrides }, silentLogger, { clock, availableMemory: memory, startEngine: engines.starter });
    const loadedIds = () => lifecycle.instances().map((instance) => instance.id).sort();
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    return { clock, engines, lifecycle, loadedIds, settle };
}

describe("JIT loading", () => {
    it("loads a model once for any number of concurrent requests, and serves them all with it", async () => {
        const { lifecycle, engines } = setUp();
        const leases = await Promise.all(Array.from({ length: 10 }, () => lifecycle.acquire(entry("a"))));
        expect(engines.loads).toEqual(["a"]);
        expect(new Set(leases.map((lease) => lease.instance)).size).toBe(1);
        expect(leases[0]!.instance.inFlight).toBe(10);
        for (const lease of leases) lease.release();
        expect(leases[0]!.instance.inFlight).toBe(0);
    });

    it("passes context length, parallel slots and threads to the engine", async () => {
        const { lifecycle, engines } = setUp({ contextLength: 1024, parallel: 2, threads: 3 });
        (await lifecycle.acquire(entry("a"))).release();
        (await lifecycle.acquire(entry("e", "embeddings"))).release();
        expect(engines.started.map((engine) => engine.options)).toMatchObject([
            { contextLength: 1024, parallel: 2, threads: 3, kind: "llm" },
            { contextLength: 1024, parallel: 1, threads: 3, kind: "embeddings" }
        ]);
    });

    it("loads again after a failed load, and leaves nothing behind from the failure", async () => {
        const clock = new FakeClock();
        let attempts = 0;
        const working = fakeEngineStarter();
        const lifecycle = new ModelLifecycle(settings, silentLogger, {
            clock, availableMemory: () => 1e12,
            startEngine: (id, options, admit, signal) => (++attempts === 1 ? Promise.reject(new Error("corrupt")) : working.starter(id, options, admit, signal))
        });
        await expect(lifecycle.acquire(entry("a"))).rejects.toThrow("corrupt");
        expect(lifecycle.instances()).toEqual([]);
        expect((await lifecycle.acquire(entry("a"))).instance.id).toBe("a");
    });

    it("tells a model's state: unloaded, loading with its progress, error until a load succeeds, ok", async () => {
        const working = fakeEngineStarter();
        let fail = true;
        let reportProgress!: (fraction: number) => void;
        let finish!: () => void;
        const lifecycle = new ModelLifecycle(settings, silentLogger, {
            clock: new FakeClock(), availableMemory: () => 1e12,
            startEngine: async (id, options, admit, signal, onProgress) => {
                reportProgress = onProgress!;
                await new Promise<void>((resolve) => { finish = resolve; });
                if (fail) throw new Error("corrupt tensor data");
                return working.starter(id, options, admit, signal);
            }
        });
        const a = entry("a");
        expect(lifecycle.stateOf(a)).toEqual({ state: "unloaded" });
        const failing = lifecycle.acquire(a);
        await new Promise((resolve) => setImmediate(resolve));
        reportProgress(0.4);
        expect(lifecycle.stateOf(a)).toEqual({ state: "loading", progress: 0.4 });
        finish();
        await expect(failing).rejects.toThrow("corrupt");
        expect(lifecycle.stateOf(a)).toMatchObject({ state: "error", message: "corrupt tensor data" });
        fail = false;
        const working2 = lifecycle.acquire(a);
        await new Promise((resolve) => setImmediate(resolve));
        expect(lifecycle.stateOf(a)).toEqual({ state: "loading", progress: 0 });
        finish();
        (await working2).release();
        expect(lifecycle.stateOf(a)).toEqual({ state: "ok" });
    });

    it("forgets an instance whose engine died, and loads it again on the next request", async () => {
        const { lifecycle, engines, settle } = setUp();
        (await lifecycle.acquire(entry("a"))).release();
        engines.started[0]!.crash();
        await settle();
        expect(lifecycle.instances()).toEqual([]);
        (await lifecycle.acquire(entry("a"))).release();
        expect(engines.loads).toEqual(["a", "a"]);
    });
});

describe("idle TTL", () => {
    it("unloads a JIT model after the default TTL with no request in flight", async () => {
        const { lifecycle, clock, loadedIds, settle } = setUp({ jitTtlSeconds: 60 });
        (await lifecycle.acquire(entry("a"))).release();
        clock.advance(59_999);
        expect(loadedIds()).toEqual(["a"]);
        clock.advance(1);
        await settle();
        expect(loadedIds()).toEqual([]);
    });

    it("never unloads while a request is in flight, and restarts the clock when it ends", async () => {
        const { lifecycle, clock, loadedIds, settle } = setUp({ jitTtlSeconds: 60 });
        (await lifecycle.acquire(entry("a"))).release();
        clock.advance(50_000);
        const lease = await lifecycle.acquire(entry("a"));
        clock.advance(600_000);
        expect(loadedIds()).toEqual(["a"]);
        lease.release();
        clock.advance(59_000);
        expect(loadedIds()).toEqual(["a"]);
        clock.advance(1_000);
        await settle();
        expect(loadedIds()).toEqual([]);
    });

    it("uses the ttl of the request that triggered the load", async () => {
        const { lifecycle, clock, loadedIds, settle } = setUp({ jitTtlSeconds: 3600 });
        (await lifecycle.acquire(entry("a"), 5)).release();
        (await lifecycle.acquire(entry("a"), 1000)).release();
        clock.advance(5_000);
        await settle();
        expect(loadedIds()).toEqual([]);
    });

    it("gives explicit loads no TTL unless one is given", async () => {
        const { lifecycle, clock, loadedIds, settle } = setUp({ jitTtlSeconds: 1, maxJitModels: 5 });
        await lifecycle.loadExplicitly({ entry: entry("kept") });
        await lifecycle.loadExplicitly({ entry: entry("brief"), ttlSeconds: 10 });
        clock.advance(24 * 3600 * 1000);
        await settle();
        expect(loadedIds()).toEqual(["kept"]);
    });
});

describe("auto-evict", () => {
    it("keeps only the last JIT-loaded model by default", async () => {
        const { lifecycle, loadedIds, settle } = setUp();
        (await lifecycle.acquire(entry("a"))).release();
        (await lifecycle.acquire(entry("b"))).release();
        await settle();
        expect(loadedIds()).toEqual(["b"]);
    });

    it("unloads the least recently used beyond --max-jit-models", async () => {
        const { lifecycle, clock, loadedIds, settle } = setUp({ maxJitModels: 2 });
        (await lifecycle.acquire(entry("a"))).release();
        clock.advance(1000);
        (await lifecycle.acquire(entry("b"))).release();
        clock.advance(1000);
        (await lifecycle.acquire(entry("a"))).release();
        clock.advance(1000);
        (await lifecycle.acquire(entry("c"))).release();
        await settle();
        expect(loadedIds()).toEqual(["a", "c"]);
    });

    it("lets a busy JIT model finish before evicting it", async () => {
        const { lifecycle, loadedIds, settle } = setUp();
        const busy = await lifecycle.acquire(entry("a"));
        (await lifecycle.acquire(entry("b"))).release();
        await settle();
        expect(loadedIds()).toEqual(["a", "b"]);
        busy.release();
        await settle();
        expect(loadedIds()).toEqual(["b"]);
    });

    it("counts JIT loads in flight: three concurrent requests for three models leave one loaded", async () => {
        const { lifecycle, loadedIds, settle, engines } = setUp();
        const leases = await Promise.all(["a", "b", "c"].map((id) => lifecycle.acquire(entry(id))));
        expect(engines.loads).toEqual(["a", "b", "c"]);
        expect(leases.map((lease) => lease.instance.engine.alive)).toEqual([true, true, true]);
        for (const lease of leases) lease.release();
        await settle();
        expect(loadedIds()).toEqual(["c"]);
    });

    it("lets JIT loads up to the limit run at once", async () => {
        const { lifecycle, loadedIds, settle } = setUp({ maxJitModels: 2 });
        const leases = await Promise.all(["a", "b", "c"].map((id) => lifecycle.acquire(entry(id))));
        for (const lease of leases) lease.release();
        await settle();
        expect(loadedIds()).toHaveLength(2);
        expect(loadedIds()).toContain("c");
    });

    it("never evicts explicitly loaded models for JIT loads", async () => {
        const { lifecycle, loadedIds, settle } = setUp();
        await lifecycle.loadExplicitly({ entry: entry("pinned") });
        (await lifecycle.acquire(entry("a"))).release();
        (await lifecycle.acquire(entry("b"))).release();
        await settle();
        expect(loadedIds()).toEqual(["b", "pinned"]);
    });
});

describe("memory guard", () => {
    const estimates = { big: { modelRam: 600, contextRam: 100, vram: 0 }, small: { modelRam: 200, contextRam: 50, vram: 0 } };
    const estimateFor = (id: string) => (id.startsWith("big") ? estimates.big : estimates.small);

    function withMemory(total: number, overrides: Partial<LoadSettings> = {}) {
        let lifecycle!: ModelLifecycle;
        const used = () => lifecycle.instances().reduce((sum, instance) => sum + instance.engine.estimate.modelRam + instance.engine.estimate.contextRam, 0);
        const setup = setUp({ maxJitModels: 10, ...overrides }, () => total - used(), estimateFor);
        lifecycle = setup.lifecycle;
        return setup;
    }

    it("unloads idle JIT models, least recently used first, to make room", async () => {
        const { lifecycle, clock, loadedIds } = withMemory(1000);
        (await lifecycle.acquire(entry("small-1"))).release();
        clock.advance(10);
        (await lifecycle.acquire(entry("small-2"))).release();
        clock.advance(10);
        (await lifecycle.acquire(entry("big"))).release();
        expect(loadedIds()).toEqual(["big", "small-2"]);
    });

    it("refuses with a 507 naming the sizes when unloading idle models cannot make room", async () => {
        const { lifecycle, loadedIds } = withMemory(1000);
        const busy = await lifecycle.acquire(entry("small-1"));
        await lifecycle.loadExplicitly({ entry: entry("small-2") });
        const error = await lifecycle.acquire(entry("big")).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(InsufficientMemory);
        expect(error).toMatchObject({ status: 507, code: "insufficient_memory" });
        expect((error as Error).message).toMatch(/needs about 0\.00 GB/);
        expect(loadedIds()).toEqual(["small-1", "small-2"]);
        busy.release();
    });

    it("reserves memory for loads in flight: of three concurrent loads, the one that does not fit is refused", async () => {
        const { lifecycle, loadedIds } = withMemory(600);
        const results = await Promise.allSettled(["small-1", "small-2", "small-3"].map((id) => lifecycle.acquire(entry(id))));
        expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
        expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientMemory);
        expect(loadedIds()).toEqual(["small-1", "small-2"]);
        for (const result of results) if (result.status === "fulfilled") result.value.release();
    });

    it("refuses a model bigger than all memory without unloading anything", async () => {
        const { lifecycle, loadedIds } = withMemory(500);
        (await lifecycle.acquire(entry("small-1"))).release();
        await expect(lifecycle.acquire(entry("big"))).rejects.toBeInstanceOf(InsufficientMemory);
        expect(loadedIds()).toEqual(["small-1"]);
    });
});

describe("queue bound", () => {
    it("refuses a request beyond the parallel slots plus the queue with QueueFull and a Retry-After", async () => {
        const { lifecycle } = setUp({ parallel: 2, maxQueue: 3 });
        const leases = await Promise.all(Array.from({ length: 5 }, () => lifecycle.acquire(entry("a"))));
        expect(lifecycle.queued(leases[0]!.instance)).toBe(3);
        const error = await lifecycle.acquire(entry("a")).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ status: 503, code: "queue_full", headers: { "retry-after": expect.stringMatching(/^\d+$/) } });
        leases[0]!.release();
        (await lifecycle.acquire(entry("a"))).release();
        for (const lease of leases.slice(1)) lease.release();
    });
});

describe("instances", () => {
    it("names a second instance of a model <id>:2, and refuses an identifier in use", async () => {
        const { lifecycle, loadedIds } = setUp();
        await lifecycle.loadExplicitly({ entry: entry("a") });
        await lifecycle.loadExplicitly({ entry: entry("a") });
        await lifecycle.loadExplicitly({ entry: entry("a"), identifier: "mine" });
        expect(loadedIds()).toEqual(["a", "a:2", "mine"]);
        await expect(lifecycle.loadExplicitly({ entry: entry("b"), identifier: "mine" })).rejects.toMatchObject({ code: "identifier_in_use" });
        expect(lifecycle.instanceNamed("MINE")?.entry.id).toBe("a");
    });

    it("keeps instance ids unique ignoring case, as requests match them", async () => {
        const { lifecycle, loadedIds } = setUp();
        await lifecycle.loadExplicitly({ entry: entry("a"), identifier: "Foo" });
        await expect(lifecycle.loadExplicitly({ entry: entry("b"), identifier: "foo" })).rejects.toMatchObject({ code: "identifier_in_use" });
        await lifecycle.loadExplicitly({ entry: entry("b"), identifier: "B" });
        await lifecycle.loadExplicitly({ entry: entry("b") });
        expect(loadedIds()).toEqual(["B", "Foo", "b:2"]);
    });

    it("refuses an identifier that is another model's id, which it would hide", async () => {
        const { lifecycle, loadedIds } = setUp();
        await expect(lifecycle.loadExplicitly({ entry: entry("a"), identifier: "B" }, ["b", "c"])).rejects.toMatchObject({ code: "identifier_in_use", message: expect.stringContaining("another model") });
        await lifecycle.loadExplicitly({ entry: entry("a"), identifier: "A" }, ["b", "c"]);
        expect(loadedIds()).toEqual(["A"]);
    });

    it("unloads by instance id, and says which are loaded when the id is unknown", async () => {
        const { lifecycle, loadedIds } = setUp();
        await lifecycle.loadExplicitly({ entry: entry("a"), identifier: "x" });
        await expect(lifecycle.unload("nope")).rejects.toMatchObject({ status: 404, message: expect.stringContaining("x") });
        await lifecycle.unload("x");
        expect(loadedIds()).toEqual([]);
    });
});

describe("engine build hint and prompt cache folders", () => {
    it("suggests the local build only for unquantized weights on the prebuilt CPU binaries", () => {
        expect(compiledCpuBackendWouldHelp("llama.cpp-linux-x64-cpu", "F16")).toBe(true);
        expect(compiledCpuBackendWouldHelp("llama.cpp-linux-x64-cpu-openmp", "F16")).toBe(false);
        expect(compiledCpuBackendWouldHelp("llama.cpp-linux-x64-cpu-compiled-zen4", "F16")).toBe(false);
        expect(compiledCpuBackendWouldHelp("llama.cpp-linux-x64-cuda", "BF16")).toBe(false);
        expect(compiledCpuBackendWouldHelp("llama.cpp-linux-x64-cpu", "Q4_K_M")).toBe(false);
    });

    it("gives each model file and KV cache layout its own prompt cache folder", () => {
        const entry = { path: "/models/a.gguf", sizeBytes: 100, modifiedAt: new Date(1000) };
        const folder = promptCacheFolder("/cache", entry, {});
        expect(folder.startsWith("/cache/")).toBe(true);
        expect(promptCacheFolder("/cache", entry, { kvCacheType: "f16" })).toBe(folder);
        expect(promptCacheFolder("/cache", entry, { kvCacheType: "q8_0" })).not.toBe(folder);
        expect(promptCacheFolder("/cache", { ...entry, modifiedAt: new Date(2000) }, {})).not.toBe(folder);
        expect(promptCacheFolder("/cache", { ...entry, path: "/models/b.gguf" }, {})).not.toBe(folder);
    });
});
