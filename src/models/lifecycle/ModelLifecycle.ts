/**
 * Owns every load and unload of model instances (a model loaded in its own engine process, under an instance id).
 *
 * Rules:
 * - JIT: a request for a model with no instance loads one; concurrent requests for it share that one load.
 * - Idle TTL: an instance with a TTL unloads after that long with no request in flight; every request restarts
 *   the clock. JIT loads get the request's `ttl` or the configured default; explicit loads only a given one.
 * - Auto-evict: at most `maxJitModels` JIT instances stay loaded; loading another unloads the least recently
 *   used idle one (a busy one goes as soon as it is idle). JIT loads in flight count: a JIT load beyond the limit
 *   waits for the ones started before it, then evicts like any other. Explicit loads are never evicted by JIT.
 * - Memory guard: before loading, the engine estimates RAM for weights and context; if that is more than is
 *   free (less what loads in flight were admitted with, until they finish), idle JIT instances are unloaded
 *   (least recently used first) until it fits, else the load is refused with InsufficientMemory, naming the sizes.
 * Contract: callers hold a Lease for as long as a request uses an instance, and release it exactly once.
 */
import { createHash } from "node:crypto";
import { freemem } from "node:os";
import path from "node:path";
import { ApiError, InvalidRequest, LoadCancelled, ModelNotLoaded, QueueFull, ShuttingDown } from "../../errors.js";
import { EngineProcess, type Engine } from "../../engine/EngineProcess.js";
import type { EngineBuild, EngineTuning, LoadOptions, ResourceEstimate } from "../../engine/protocol.js";
import type { Logger } from "../../logger.js";
import type { CatalogEntry } from "../catalog/ModelCatalog.js";

export type LoadSettings = {
    /** Context length per sequence; `null`: min(trained length, 4096). */
    contextLength: number | null;
    /** Parallel sequences per LLM. */
    parallel: number;
    threads: number;
    gpu: "auto" | false;
    engineBuild: EngineBuild;
    /** Idle seconds before a JIT-loaded instance unloads. Default 3600. */
    jitTtlSeconds: number;
    /** JIT-loaded instances kept at once. Default 1. */
    maxJitModels: number;
    /** Requests that may wait for a busy instance's sequences; more are refused with QueueFull. */
    maxQueue: number;
    /** The host prompt cache: a folder per model build under `root`, each up to `maxBytes`; null: off. */
    promptCache?: { root: string; maxBytes: number } | null;
};

export type Clock = {
    now(): number;
    setTimeout(callback: () => void, milliseconds: number): unknown;
    clearTimeout(handle: unknown): void;
};

export const systemClock: Clock = {
    now: () => Date.now(),
    setTimeout: (callback, milliseconds) => setTimeout(callback, milliseconds).unref(),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout)
};

export type EngineStarter = (modelId: string, options: LoadOptions, admit: (estimate: ResourceEstimate) => Promise<void>, signal: AbortSignal,
    onLoadProgress?: (progress: number) => void) => Promise<Engine>;

export type LifecycleDependencies = {
    clock: Clock;
    /** Bytes of RAM free for a new model. */
    availableMemory: () => number;
    startEngine: EngineStarter;
    /** Told of every completed load (metrics). */
    onLoaded: (instance: ModelInstance) => void;
};

export const defaultLifecycleDependencies: LifecycleDependencies = {
    clock: systemClock,
    availableMemory: freemem,
    startEngine: (modelId, options, admit, signal, onLoadProgress) => EngineProcess.start(modelId, options, admit, signal, onLoadProgress),
    onLoaded: () => {}
};

export class InsufficientMemory extends ApiError {
    constructor(modelId: string, estimate: ResourceEstimate, available: number) {
        const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;
        super(`Not enough memory to load "${modelId}": it needs about ${gb(estimate.modelRam + estimate.contextRam)} of RAM ` +
            `(${gb(estimate.modelRam)} weights + ${gb(estimate.contextRam)} context) but ${gb(available)} is free, and unloading ` +
            "idle models would not free enough. Unload a model or load this one with a smaller context length.",
        507, "insufficient_storage_error", "insufficient_memory", "model");
    }
}

export type ModelInstance = {
    readonly id: string;
    readonly entry: CatalogEntry;
    readonly engine: Engine;
    readonly origin: "jit" | "explicit";
    /** Idle seconds before it unloads (null: never); Ollama's keep_alive sets it per request. */
    ttlSeconds: number | null;
    readonly loadedAt: Date;
    readonly loadSeconds: number;
    /** What the load asked for beyond the defaults. */
    readonly requested: EngineTuning;
    /** Speculative decoding: the draft model's id, or prompt lookup; both off by default. */
    readonly speculation: InstanceSpeculation;
    /** Requests using the instance now. */
    inFlight: number;
    /** Clock time of the last request's end (or of the load). */
    lastUsedAt: number;
    /** Recent average request duration in milliseconds, for Retry-After estimates. */
    averageRequestMs: number;
};

export type ModelState =
    | { state: "ok" | "unloaded" }
    | { state: "loading"; progress: number }
    | { state: "error"; message: string; failedAt: Date };

export type Lease = { readonly instance: ModelInstance; release(): void };

/** What a request waiting for a load hears of it: that it waits (for the instance id loading), then the load's progress, 0 to 1. */
export type LoadWatcher = { started(instanceId: string): void; progress(fraction: number): void };

export type ExplicitLoad = {
    entry: CatalogEntry;
    /** Instance id; default: the model id, or `<id>:2`, `:3`... when that is taken. */
    identifier?: string;
    contextLength?: number;
    parallel?: number;
    ttlSeconds?: number;
} & EngineTuning & SpeculationRequest;

/** A load's speculative decoding: a draft model (from the catalog), or prompt lookup. */
export type SpeculationRequest = { draft?: CatalogEntry; draftMaxTokens?: number; draftMinConfidence?: number; promptLookup?: boolean };
export type InstanceSpeculation = { draftModel: string | null; promptLookup: boolean };

type LoadOverrides = { contextLength?: number; parallel?: number } & EngineTuning & SpeculationRequest;

export const defaultContextLengthCap = 4096;

/** Said when a load asks for more context than the model was trained with: allowed (some want it), rarely wise. */
export const contextBeyondTraining = (modelId: string, contextLength: number, trained: number) =>
    `Context length ${contextLength} for ${modelId} is beyond the ${trained} tokens it was trained with: answers that reach past ${trained} tokens are likely to degrade.`;

/**
 * The folder of one model build's saved prompt states: a state loads only into the model (and KV cache layout) it
 * was saved from, so the folder is named by the file (path, size, modification time) and the KV cache settings.
 */
export function promptCacheFolder(root: string, entry: Pick<CatalogEntry, "path" | "sizeBytes" | "modifiedAt">, tuning: EngineTuning): string {
    const build = JSON.stringify([entry.path, entry.sizeBytes, entry.modifiedAt.getTime(), tuning.kvCacheType ?? "f16", tuning.flashAttention ?? null]);
    return path.join(root, createHash("sha256").update(build).digest("hex").slice(0, 24));
}

/**
 * Whether a CPU backend compiled for this machine would evaluate this model's prompts much faster than the
 * prebuilt one: measured for unquantized weights (bench/results/prompt-evaluation-2026-12-01.md); quantized ones
 * gain about 10%. The runtime's name says which one runs (-cpu: the prebuilt one as it comes).
 */
export function compiledCpuBackendWouldHelp(runtimeName: string, quantization: string): boolean {
    return runtimeName.endsWith("-cpu") && /^(F16|BF16|F32)$/i.test(quantization);
}

export class ModelLifecycle {
    private readonly loaded = new Map<string, ModelInstance>();
    private readonly loading = new Map<string, Promise<ModelInstance>>();
    /** JIT loads in flight by instance id, in the order they started; each settles when its load ends. */
    private readonly jitLoads = new Map<string, Promise<void>>();
    /** Cancels the loads in flight, by instance id. */
    private readonly loadCancellers = new Map<string, AbortController>();
    /** RAM admitted to loads in flight by instance id: not free, though the OS does not know it yet. */
    private readonly reservedMemory = new Map<string, number>();
    /** Set once shutdown ends the running generations: no lease is given after that. */
    private stopped = false;
    private readonly idleTimers = new Map<string, unknown>();
    private saidCompiledCpuBackendHelps = false;
    /** Requests waiting for a load, by the instance id loading, to be told its progress. */
    private readonly loadWatchers = new Map<string, Set<LoadWatcher>>();
    private readonly unloadWhenIdle = new Set<string>();
    /** Loads in flight by instance id: the model each loads and how far it is, 0 to 1 (for /health?model=). */
    private readonly loadsInFlight = new Map<string, { modelId: string; modelPath: string; progress: number }>();
    /** The last load of each model (by path) that failed, until one succeeds: /health?model= says "error". */
    private readonly failedLoads = new Map<string, { message: string; at: Date }>();

    private readonly dependencies: LifecycleDependencies;

    constructor(private readonly settings: LoadSettings, private readonly logger: Logger, dependencies: Partial<LifecycleDependencies> = {}) {
        this.dependencies = { ...defaultLifecycleDependencies, ...dependencies };
    }

    instances(): ModelInstance[] {
        return [...this.loaded.values()];
    }

    isLoaded(entry: Pick<CatalogEntry, "path">): boolean {
        return this.instances().some((instance) => instance.entry.path === entry.path);
    }

    /** The instance a request names by its instance id (ids are matched ignoring case). */
    instanceNamed(reference: string): ModelInstance | undefined {
        const wanted = reference.trim().toLowerCase();
        return this.instances().find((instance) => instance.id.toLowerCase() === wanted);
    }

    /**
     * Where a model stands, as /health?model= says it: loaded (ok), loading (with the furthest progress of its
     * loads in flight), its last load failed (error, until a load succeeds), or none of these (unloaded).
     */
    stateOf(entry: Pick<CatalogEntry, "path">): ModelState {
        if (this.instances().some((instance) => instance.entry.path === entry.path && instance.engine.alive)) return { state: "ok" };
        const loads = [...this.loadsInFlight.values()].filter((load) => load.modelPath === entry.path);
        if (loads.length > 0) return { state: "loading", progress: Math.max(...loads.map((load) => load.progress)) };
        const failure = this.failedLoads.get(entry.path);
        return failure === undefined ? { state: "unloaded" } : { state: "error", message: failure.message, failedAt: failure.at };
    }

    /** The loads running now: the instance each makes, its model, and how far it is (0 to 1). */
    loadsInProgress(): Array<{ id: string; modelId: string; progress: number }> {
        return [...this.loadsInFlight].map(([id, load]) => ({ id, modelId: load.modelId, progress: load.progress }));
    }

    /** A lease on an instance of this model, loading one just in time when there is none. */
    /**
     * `speculation`: how a load this request starts speculates (a loaded instance keeps its own). `watcher`: told
     * when the request has to wait for a load (the one it starts, or one in flight) and how far that load is.
     */
    async acquire(entry: CatalogEntry, ttlSeconds?: number, speculation: SpeculationRequest & { contextLength?: number } = {}, watcher?: LoadWatcher): Promise<Lease> {
        const existing = this.loaded.get(entry.id) ?? this.instances().find((instance) => instance.entry.path === entry.path);
        if (existing?.engine.alive) return this.lease(existing);
        // A load of this model in flight under its own id, in any case (an explicit "Tiny-Chat" of tiny-chat), serves.
        let [id, load] = [...this.loading].find(([loadingId]) => loadingId.toLowerCase() === entry.id.toLowerCase()) ?? [entry.id, undefined];
        if (load === undefined) {
            load = this.load(entry.id, entry, "jit", ttlSeconds ?? this.settings.jitTtlSeconds, speculation).finally(() => this.loading.delete(entry.id));
            this.loading.set(entry.id, load);
        }
        if (watcher === undefined) return this.lease(await load);
        const watchers = this.loadWatchers.get(id) ?? new Set<LoadWatcher>();
        this.loadWatchers.set(id, watchers.add(watcher));
        watcher.started(id);
        try {
            return this.lease(await load);
        } finally {
            watchers.delete(watcher);
            if (watchers.size === 0 && this.loadWatchers.get(id) === watchers) this.loadWatchers.delete(id);
        }
    }

    /**
     * Ollama's keep_alive, set by a request holding a lease on `instance`: from when its requests end, it unloads
     * after `seconds` idle (0: at once; null: never), whoever loaded it.
     */
    keepAlive(instance: ModelInstance, seconds: number | null): void {
        instance.ttlSeconds = seconds;
    }

    /** Throws QueueFull when all the instance's sequences are busy and `maxQueue` requests already wait. */
    lease(instance: ModelInstance): Lease {
        if (this.stopped) throw new ShuttingDown();
        const parallel = instance.engine.model.parallel;
        if (instance.inFlight >= parallel + this.settings.maxQueue) {
            const waiting = instance.inFlight - parallel;
            const retryAfter = Math.max(1, Math.ceil((instance.averageRequestMs * (waiting + 1)) / parallel / 1000));
            throw new QueueFull(instance.id, parallel, waiting, retryAfter);
        }
        instance.inFlight++;
        this.cancelIdleTimer(instance.id);
        const startedAt = this.dependencies.clock.now();
        let released = false;
        return {
            instance,
            release: () => {
                if (released) return;
                released = true;
                instance.inFlight--;
                instance.lastUsedAt = this.dependencies.clock.now();
                instance.averageRequestMs = 0.8 * instance.averageRequestMs + 0.2 * (instance.lastUsedAt - startedAt);
                if (instance.inFlight === 0) this.becameIdle(instance);
            }
        };
    }

    /** Requests waiting for a sequence of this instance. */
    queued(instance: ModelInstance): number {
        return Math.max(0, instance.inFlight - instance.engine.model.parallel);
    }

    /**
     * An explicit load (REST or CLI): never evicted by JIT, no TTL unless given. Instance ids are unique ignoring
     * case, as requests match them; `otherModelIds` (the catalog's other models) are refused as identifiers too,
     * since an instance id would hide the model of that name.
     */
    async loadExplicitly(request: ExplicitLoad, otherModelIds: readonly string[] = []): Promise<ModelInstance> {
        const id = request.identifier ?? this.freeInstanceId(request.entry.id);
        if (request.identifier !== undefined && otherModelIds.some((other) => other.toLowerCase() === id.toLowerCase())) {
            throw new InvalidRequest(`"${id}" is the id of another model; requests naming it would reach this instance instead. Choose another identifier.`,
                "identifier", "identifier_in_use");
        }
        if (this.idTaken(id)) {
            throw new InvalidRequest(`An instance named "${id}" is already loaded; unload it first or choose another identifier.`, "identifier", "identifier_in_use");
        }
        const load = this.load(id, request.entry, "explicit", request.ttlSeconds ?? null, request).finally(() => this.loading.delete(id));
        this.loading.set(id, load);
        return load;
    }

    /** Unloads an instance; requests still running on it end with stop reason modelUnloaded. */
    async unload(instanceId: string): Promise<ModelInstance> {
        const instance = this.instanceNamed(instanceId);
        if (instance === undefined) throw new ModelNotLoaded(instanceId, this.instances().map((loaded) => loaded.id));
        await this.remove(instance, "unloaded on request");
        return instance;
    }

    /** Ends every running generation (stop reason userStopped); the models stay loaded. */
    /**
     * Ends every running generation, and from now on refuses new leases: a request that was still waiting for its
     * model to load when shutdown's grace period ended gets shutting_down instead of starting a generation then.
     */
    stopAllGenerations(): void {
        this.stopped = true;
        for (const instance of this.instances()) instance.engine.cancelAll();
    }

    /**
     * Cancels the loads in flight (their requests get LoadCancelled) and unloads every instance (requests
     * running on them end with stop reason modelUnloaded). Says which instances went and which loads stopped.
     */
    async unloadAll(why = "unloaded on request", savePromptStates = true): Promise<{ unloaded: string[]; cancelledLoads: string[] }> {
        const cancelledLoads = [...this.loadCancellers.keys()];
        for (const canceller of this.loadCancellers.values()) canceller.abort();
        await Promise.allSettled([...this.loading.values()]);
        const instances = this.instances();
        await Promise.all(instances.map((instance) => this.remove(instance, why, savePromptStates)));
        return { unloaded: instances.map((instance) => instance.id), cancelledLoads };
    }

    private idTaken(id: string): boolean {
        const wanted = id.toLowerCase();
        return [...this.loaded.keys(), ...this.loading.keys()].some((taken) => taken.toLowerCase() === wanted);
    }

    private freeInstanceId(modelId: string): string {
        if (!this.idTaken(modelId)) return modelId;
        for (let suffix = 2; ; suffix++) {
            const id = `${modelId}:${suffix}`;
            if (!this.idTaken(id)) return id;
        }
    }

    private async load(id: string, entry: CatalogEntry, origin: ModelInstance["origin"], ttlSeconds: number | null,
        overrides: LoadOverrides): Promise<ModelInstance> {
        let loadEnded!: () => void;
        if (origin === "jit") this.jitLoads.set(id, new Promise<void>((resolve) => { loadEnded = resolve; }));
        const canceller = new AbortController();
        this.loadCancellers.set(id, canceller);
        this.loadsInFlight.set(id, { modelId: entry.id, modelPath: entry.path, progress: 0 });
        try {
            if (origin === "jit") await this.makeJitRoom(id);
            if (canceller.signal.aborted) throw new LoadCancelled(entry.id);
            const instance = await this.startInstance(id, entry, origin, ttlSeconds, overrides, canceller.signal);
            this.failedLoads.delete(entry.path);
            return instance;
        } catch (error) {
            if (!(error instanceof LoadCancelled)) {
                this.failedLoads.set(entry.path, { message: error instanceof Error ? error.message : String(error), at: new Date() });
            }
            throw error;
        } finally {
            this.loadsInFlight.delete(id);
            this.loadCancellers.delete(id);
            this.reservedMemory.delete(id);
            if (origin === "jit") {
                this.jitLoads.delete(id);
                loadEnded();
            }
        }
    }

    private async startInstance(id: string, entry: CatalogEntry, origin: ModelInstance["origin"], ttlSeconds: number | null,
        overrides: LoadOverrides, signal: AbortSignal): Promise<ModelInstance> {
        const contextLength = overrides.contextLength ?? this.settings.contextLength ?? Math.min(entry.maxContextLength, defaultContextLengthCap);
        const parallel = entry.type === "llm" ? overrides.parallel ?? this.settings.parallel : 1;
        const started = performance.now();
        this.logger.info(`Loading ${entry.id} as "${id}" (${origin}), context ${contextLength}, ${parallel} parallel, ${this.settings.threads} threads`);
        if (contextLength > entry.maxContextLength) this.logger.warn(contextBeyondTraining(entry.id, contextLength, entry.maxContextLength));
        const requested: EngineTuning = {
            ...(overrides.batchSize !== undefined ? { batchSize: overrides.batchSize } : {}),
            ...(overrides.flashAttention !== undefined ? { flashAttention: overrides.flashAttention } : {}),
            ...(overrides.kvCacheType !== undefined ? { kvCacheType: overrides.kvCacheType } : {})
        };
        const speculation: InstanceSpeculation = { draftModel: overrides.draft?.id ?? null, promptLookup: overrides.promptLookup === true };
        if (speculation.draftModel !== null) this.logger.info(`"${id}" drafts with ${speculation.draftModel} (speculative decoding)`);
        const engine = await this.dependencies.startEngine(entry.id, {
            modelPath: entry.path, kind: entry.type, contextLength, parallel, threads: this.settings.threads, gpu: this.settings.gpu,
            engineBuild: this.settings.engineBuild, ...requested,
            ...(overrides.draft !== undefined ? {
                draft: {
                    modelPath: overrides.draft.path,
                    ...(overrides.draftMaxTokens !== undefined ? { maxTokens: overrides.draftMaxTokens } : {}),
                    ...(overrides.draftMinConfidence !== undefined ? { minConfidence: overrides.draftMinConfidence } : {})
                }
            } : {}),
            ...(speculation.promptLookup ? { promptLookup: true } : {}),
            ...(entry.type === "llm" && this.settings.promptCache ? {
                promptCache: { directory: promptCacheFolder(this.settings.promptCache.root, entry, requested), maxBytes: this.settings.promptCache.maxBytes }
            } : {})
        }, (estimate) => this.makeRoom(id, entry.id, estimate), signal, (progress) => {
            const load = this.loadsInFlight.get(id);
            if (load !== undefined) load.progress = Math.max(load.progress, progress);
            for (const watcher of this.loadWatchers.get(id) ?? []) watcher.progress(progress);
        });
        if (signal.aborted) {
            await engine.dispose();
            throw new LoadCancelled(entry.id);
        }
        const instance: ModelInstance = {
            id, entry, engine, origin, ttlSeconds, requested, speculation,
            loadedAt: new Date(), loadSeconds: (performance.now() - started) / 1000,
            inFlight: 0, lastUsedAt: this.dependencies.clock.now(), averageRequestMs: 1000
        };
        this.loaded.set(id, instance);
        this.logger.info(`Loaded "${id}" in ${instance.loadSeconds.toFixed(2)} s on ${engine.model.runtime.name}`);
        if (!this.saidCompiledCpuBackendHelps && compiledCpuBackendWouldHelp(engine.model.runtime.name, entry.quantization)) {
            this.saidCompiledCpuBackendHelps = true;
            this.logger.info(`Prompts of ${entry.quantization} models evaluate about 2x faster with llama.cpp's CPU backend compiled for this machine: ` +
                "install git, cmake and a C++ compiler, then run npm run build:native (about 30 s on 2 cores; see README, Threads and engine builds).");
        }
        this.dependencies.onLoaded(instance);
        void engine.exited.then((reason) => {
            if (this.loaded.get(id) !== instance) return;
            this.forget(instance);
            this.logger.error(`Model instance "${id}" is no longer loaded: ${reason}`);
        });
        this.becameIdle(instance);
        return instance;
    }

    /**
     * Makes room under --max-jit-models for the JIT load `id`, counting the JIT loads started before it: when
     * those alone reach the limit, it waits for them to end first (the later loads wait for the earlier, never
     * the other way round), so they are evicted like loaded instances.
     */
    private async makeJitRoom(id: string): Promise<void> {
        let earlier = this.jitLoadsBefore(id);
        while (earlier.length >= this.settings.maxJitModels && earlier.length > 0) {
            await Promise.all(earlier);
            // The requests that waited for those loads lease their instance in the microtasks that follow; after
            // them, an instance is busy (evicted when its requests end) rather than idle (evicted at once).
            await new Promise((resolve) => setImmediate(resolve));
            earlier = this.jitLoadsBefore(id);
        }
        this.evictJitInstancesBeyondLimit(earlier.length);
    }

    private jitLoadsBefore(id: string): Promise<void>[] {
        const ids = [...this.jitLoads.keys()];
        return ids.slice(0, ids.indexOf(id)).map((other) => this.jitLoads.get(other)!);
    }

    private evictJitInstancesBeyondLimit(loadsInFlight: number): void {
        const staying = this.instances()
            .filter((instance) => instance.origin === "jit" && !this.unloadWhenIdle.has(instance.id))
            .sort((a, b) => a.lastUsedAt - b.lastUsedAt);
        while (staying.length + loadsInFlight >= this.settings.maxJitModels && staying.length > 0) {
            const oldest = staying.shift()!;
            this.logger.info(`Unloading JIT model "${oldest.id}" to keep at most ${this.settings.maxJitModels} JIT-loaded`);
            if (oldest.inFlight === 0) void this.remove(oldest, "evicted");
            else this.unloadWhenIdle.add(oldest.id);
        }
    }

    /**
     * Admits the load `id` when its estimate fits in free memory less what other loads in flight were admitted
     * with, unloading idle JIT instances to make it fit; from then on its estimate is reserved until it ends.
     */
    private async makeRoom(id: string, modelId: string, estimate: ResourceEstimate): Promise<void> {
        const needed = estimate.modelRam + estimate.contextRam;
        const free = () => {
            let reserved = 0;
            for (const [other, bytes] of this.reservedMemory) if (other !== id) reserved += bytes;
            return Math.max(0, this.dependencies.availableMemory() - reserved);
        };
        let available = free();
        const idle = this.instances()
            .filter((instance) => instance.origin === "jit" && instance.inFlight === 0)
            .sort((a, b) => a.lastUsedAt - b.lastUsedAt);
        const reclaimable = idle.reduce((total, instance) => total + instance.engine.estimate.modelRam + instance.engine.estimate.contextRam, 0);
        if (needed > available + reclaimable) throw new InsufficientMemory(modelId, estimate, available);
        for (const instance of idle) {
            if (needed <= available) break;
            this.logger.info(`Unloading idle JIT model "${instance.id}" to make room for ${modelId}`);
            await this.remove(instance, "evicted for memory");
            available = free();
        }
        if (needed > available) throw new InsufficientMemory(modelId, estimate, available);
        this.reservedMemory.set(id, needed);
    }

    private becameIdle(instance: ModelInstance): void {
        if (this.unloadWhenIdle.has(instance.id)) {
            void this.remove(instance, "evicted");
            return;
        }
        if (instance.ttlSeconds === null) return;
        this.cancelIdleTimer(instance.id);
        this.idleTimers.set(instance.id, this.dependencies.clock.setTimeout(() => {
            this.idleTimers.delete(instance.id);
            if (instance.inFlight > 0 || this.loaded.get(instance.id) !== instance) return;
            this.logger.info(`Unloading "${instance.id}" after ${instance.ttlSeconds} s idle`);
            void this.remove(instance, "idle TTL");
        }, instance.ttlSeconds * 1000));
    }

    private cancelIdleTimer(id: string): void {
        const timer = this.idleTimers.get(id);
        if (timer !== undefined) this.dependencies.clock.clearTimeout(timer);
        this.idleTimers.delete(id);
    }

    private forget(instance: ModelInstance): void {
        if (this.loaded.get(instance.id) === instance) this.loaded.delete(instance.id);
        this.cancelIdleTimer(instance.id);
        this.unloadWhenIdle.delete(instance.id);
    }

    private async remove(instance: ModelInstance, why: string, savePromptStates = true): Promise<void> {
        if (this.loaded.get(instance.id) !== instance) return;
        this.forget(instance);
        this.logger.debug(`Unloading "${instance.id}": ${why}`);
        await instance.engine.dispose(savePromptStates);
    }
}
