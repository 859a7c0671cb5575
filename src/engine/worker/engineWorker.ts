/**
 * Entry point of an engine worker: a child process that loads one model and serves generation or embedding
 * jobs for it over IPC. Inference lives in its own process so that llama.cpp's threads and the decode loop own
 * this process (its environment: engineEnvironment.ts), and so that an abort inside llama.cpp on a bad file
 * ends this process, never the server.
 */
import { readFileSync } from "node:fs";
import { GgmlType, GgufInsights, getLlama, getLlamaGpuTypes, LlamaLogLevel, readGgufFileInfo, type Llama, type LlamaContext } from "node-llama-cpp";
import { compiledCpuBackendFolder, compiledCpuBackendVariant, offerCompiledCpuBackend } from "../engineEnvironment.js";
import { unloadAbortReason, type FromWorker, type KvCacheType, type LoadOptions, type LoadedModelDescription, type ResourceEstimate, type ToWorker } from "../protocol.js";
import { BatchAssembler } from "./BatchAssembler.js";
import { EmbeddingHost } from "./EmbeddingHost.js";
import { GrammarCache } from "./grammars.js";
import { LlmHost } from "./LlmHost.js";
import { PromptStateCache } from "./PromptStateCache.js";
import { RankingHost } from "./RankingHost.js";
import { ReaderGate } from "./ReaderGate.js";
import { draftDefaults } from "./speculation.js";

/**
 * Messages leave in order, never at once: what is waiting travels as one IPC message (one write here, one wake-up
 * and one parse in the server). Most messages leave on the next turn of the event loop. A generated token's
 * message (after a generation's first) waits until `tokenFlushIntervalMs` after the last send: every send wakes the
 * server, which then competes with the decode's threads for the CPUs, and with as many decode threads as CPUs one
 * preempted thread stalls the decode's barriers. Measured on 2 vCPUs, 2 threads, a 123 MB Q4_K_M model: 9-14 ms
 * per streamed token sending each token, 5-7 ms with 20 ms between sends, 4.6-5.5 ms not streaming
 * (bench/results/fixed-cost-2026-12-01.md). Tokens then reach clients in bursts of at most 20 ms, which no reader
 * sees; a first token, an end or an answer is never held.
 */
const outbox: FromWorker[] = [];
const tokenFlushIntervalMs = 20;
let lastFlushAt = 0;
let flushScheduled: "soon" | "later" | null = null;
let laterTimer: NodeJS.Timeout | undefined;

function flush(): void {
    flushScheduled = null;
    clearTimeout(laterTimer);
    lastFlushAt = performance.now();
    const messages = outbox.splice(0);
    if (messages.length === 1) process.send?.(messages[0]);
    else if (messages.length > 1) process.send?.(messages);
}

/** `canWait`: a token after a generation's first, which may wait for the flush interval. */
function send(message: FromWorker, canWait = false): void {
    outbox.push(message);
    if (flushScheduled === "soon") return;
    const wait = canWait ? tokenFlushIntervalMs - (performance.now() - lastFlushAt) : 0;
    if (wait > 0) {
        if (flushScheduled === null) {
            flushScheduled = "later";
            laterTimer = setTimeout(flush, wait);
        }
        return;
    }
    flushScheduled = "soon";
    clearTimeout(laterTimer);
    setImmediate(flush);
}

const ggmlTypeNameOf = { f16: "F16", q8_0: "Q8_0", q4_0: "Q4_0" } as const satisfies Record<KvCacheType, keyof typeof GgmlType>;
const ggmlTypeOf: Record<KvCacheType, GgmlType> = { f16: GgmlType.F16, q8_0: GgmlType.Q8_0, q4_0: GgmlType.Q4_0 };

const platformNames: Partial<Record<NodeJS.Platform, string>> = { darwin: "mac", win32: "windows", linux: "linux" };

/** The CPU variant compiled at install that this process loaded (engineEnvironment.ts), if it did. */
function loadedCompiledCpuVariant(): string | undefined {
    try {
        const maps = readFileSync("/proc/self/maps", "utf8");
        const at = maps.indexOf(`${compiledCpuBackendFolder}libggml-cpu-`);
        return at < 0 ? undefined : /^libggml-cpu-([A-Za-z0-9_.]+)\.so/.exec(maps.slice(at + compiledCpuBackendFolder.length))?.[1];
    } catch {
        return undefined;
    }
}

/** llama.cpp-linux-x64-cpu (prebuilt), -cpu-openmp (local build), -cpu-compiled-zen4 (prebuilt, CPU backend compiled here), -cuda, ... */
function runtimeName(llama: Llama): string {
    const platform = platformNames[process.platform] ?? process.platform;
    const compiled = llama.gpu === false && llama.buildType === "prebuilt" ? loadedCompiledCpuVariant() : undefined;
    return `llama.cpp-${platform}-${process.arch}-${llama.gpu === false ? "cpu" : llama.gpu}${llama.buildType === "localBuild" ? "-openmp" : ""}` +
        (compiled === undefined ? "" : `-compiled-${compiled}`);
}

/** node-llama-cpp's levels, most severe first. */
const logLevelOrder = Object.values(LlamaLogLevel);
/** How much of llama.cpp's log reaches stderr: LMHOST_ENGINE_LOG_LEVEL, one of node-llama-cpp's levels; default error. */
const printedLevel = logLevelOrder.find((level) => level === process.env.LMHOST_ENGINE_LOG_LEVEL) ?? LlamaLogLevel.error;
/** llama.cpp's recent error lines: a failed load reports why in its log, not in the exception. */
const recentErrors: string[] = [];

function logFromLlama(level: LlamaLogLevel, message: string): void {
    const line = message.trim();
    if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) {
        recentErrors.push(line.replace(/^llama_model_load: error loading model: /, ""));
        if (recentErrors.length > 3) recentErrors.shift();
    }
    if (logLevelOrder.indexOf(level) <= logLevelOrder.indexOf(printedLevel)) process.stderr.write(`[llama.cpp] ${line}\n`);
}

let host: LlmHost | EmbeddingHost | RankingHost | undefined;
const running = new Map<number, AbortController>();
const gates = new Map<number, ReaderGate>();

let llamaInstance: Promise<Llama> | undefined;

/**
 * Which llama.cpp (README, Threads and engine builds): the prebuilt binaries, with the CPU backend compiled at
 * install where there is one (it evaluates prompts faster than the local OpenMP build); else, under "auto", the
 * local OpenMP build where `npm run build:engine` made one and no GPU is used (CPU-only); else the prebuilt ones.
 */
async function loadLlama(options: LoadOptions): Promise<Llama> {
    const common = { build: "never", maxThreads: options.threads, logLevel: LlamaLogLevel.warn, logger: logFromLlama } as const;
    const gpuInUse = options.gpu !== false && (await getLlamaGpuTypes("supported")).some((type) => type !== false);
    if (options.engineBuild === "openmp" || (options.engineBuild === "auto" && !gpuInUse && compiledCpuBackendVariant() === undefined)) {
        try {
            return await getLlama({ ...common, gpu: false, usePrebuiltBinaries: false, cmakeOptions: { GGML_OPENMP: "ON" } });
        } catch (error) {
            if (options.engineBuild === "openmp") throw new Error(`no local OpenMP build of llama.cpp (run npm run build:engine): ${engineMessage(error)}`);
        }
    }
    offerCompiledCpuBackend();
    return getLlama({ ...common, gpu: options.gpu });
}

function llamaFor(options: LoadOptions): Promise<Llama> {
    llamaInstance ??= loadLlama(options);
    return llamaInstance;
}

async function estimate(options: LoadOptions): Promise<ResourceEstimate> {
    const own = await estimateOne(options);
    if (options.draft === undefined) return own;
    // The draft model and its context (a sequence for each of the model's) load with it.
    const { draft: { modelPath }, ...target } = options;
    const draft = await estimateOne({ ...target, modelPath });
    return { modelRam: own.modelRam + draft.modelRam, contextRam: own.contextRam + draft.contextRam, vram: own.vram + draft.vram };
}

async function estimateOne(options: LoadOptions): Promise<ResourceEstimate> {
    const insights = await GgufInsights.from(await readGgufFileInfo(options.modelPath, { logWarnings: false }), await llamaFor(options));
    const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
    const kvType = options.kvCacheType === undefined ? undefined : ggmlTypeOf[options.kvCacheType];
    const context = await insights.estimateContextResourceRequirementsV2({
        contextSize: options.contextLength,
        modelGpuLayers: 0,
        sequences: options.kind === "llm" ? options.parallel : 1,
        isEmbeddingContext: options.kind !== "llm",
        ...(kvType !== undefined ? { kvCacheKeyType: kvType, kvCacheValueType: kvType } : {})
    });
    return { modelRam: model.cpuRam, contextRam: context.cpuRam, vram: model.gpuVram + context.gpuVram };
}

async function load(options: LoadOptions): Promise<LoadedModelDescription> {
    const llama = await llamaFor(options);
    // Every 1% of the weights read, at most: a message per tensor would be thousands.
    let reported = 0;
    const model = await llama.loadModel({
        modelPath: options.modelPath,
        onLoadProgress: (progress) => {
            if (progress < 1 && progress - reported < 0.01) return;
            reported = progress;
            send({ type: "loadProgress", progress });
        }
    });
    const runtime = { name: runtimeName(llama), version: llama.llamaCppRelease.release, supportedFormats: ["gguf"] };
    if (options.kind === "reranker") {
        const contextLength = Math.min(options.contextLength, model.trainContextSize);
        host = new RankingHost(await model.createRankingContext({ contextSize: contextLength, threads: options.threads }), model);
        return { contextLength, parallel: 1, threads: options.threads, runtime, sizeBytes: model.size, prependsBos: false };
    }
    if (options.kind === "embeddings") {
        const contextLength = Math.min(options.contextLength, model.trainContextSize);
        const context = await model.createEmbeddingContext({ contextSize: contextLength, threads: options.threads });
        host = new EmbeddingHost(context, contextLength);
        return { contextLength, parallel: 1, threads: options.threads, runtime, sizeBytes: model.size, prependsBos: false };
    }
    const batches = new BatchAssembler();
    const context = await model.createContext({
        contextSize: options.contextLength,
        batching: { dispatchSchedule: batches.schedule },
        sequences: options.parallel,
        threads: options.threads,
        failedCreationRemedy: false,
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        // llama.cpp quantizes the value cache only with flash attention.
        ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention }
            : options.kvCacheType !== undefined && options.kvCacheType !== "f16" ? { flashAttention: true } : {}),
        ...(options.kvCacheType !== undefined ? {
            experimentalKvCacheKeyType: ggmlTypeNameOf[options.kvCacheType], experimentalKvCacheValueType: ggmlTypeNameOf[options.kvCacheType]
        } : {})
    });
    const draft = options.draft === undefined ? undefined : {
        context: await loadDraft(llama, options.draft.modelPath, options, context),
        maxTokens: options.draft.maxTokens ?? draftDefaults.maxTokens,
        minConfidence: options.draft.minConfidence ?? draftDefaults.minConfidence
    };
    const promptCache = options.promptCache === undefined ? null
        : await PromptStateCache.open(options.promptCache, (line) => process.stderr.write(`[lmhost engine] ${line}\n`));
    const llm = new LlmHost(model, context, new GrammarCache(llama), batches, { ...(draft !== undefined ? { draft } : {}), promptLookup: options.promptLookup === true },
        promptCache);
    host = llm;
    return {
        contextLength: llm.contextLength, parallel: options.parallel, threads: options.threads, runtime,
        sizeBytes: model.size, prependsBos: llm.prependsBos
    };
}

/** The draft model's context, one sequence for each of the model's; refused unless its vocabulary matches the model's. */
async function loadDraft(llama: Llama, modelPath: string, options: LoadOptions, target: LlamaContext): Promise<LlamaContext> {
    const draftModel = await llama.loadModel({ modelPath });
    // One thread: a draft decode on several threads slowed the model's next decode by 8 ms (1 token) to 23 ms (a
    // 4-token verification) on 2 vCPUs, its worker threads still holding the CPUs; on one thread the draft's own
    // decode is a little slower and the model's is not slowed at all (bench/results/speculative-2026-12-01.md).
    const draftContext = await draftModel.createContext({
        contextSize: options.contextLength, sequences: options.parallel, threads: 1, failedCreationRemedy: false
    });
    // llama.cpp's own rule for a usable draft (vocabulary type, size, special tokens), which node-llama-cpp's draft
    // predictor applies through this internal call; checked here so that a wrong draft fails the load, not a request.
    type Internal = { _ctx: { ensureDraftContextIsCompatibleForSpeculative(draft: unknown): void } };
    try {
        (target as unknown as Internal)._ctx.ensureDraftContextIsCompatibleForSpeculative((draftContext as unknown as Internal)._ctx);
    } catch (error) {
        await draftModel.dispose();
        throw new Error(`the draft model cannot draft for this model: ${engineMessage(error)}`);
    }
    return draftContext;
}

function engineMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

async function handle(message: ToWorker): Promise<void> {
    switch (message.type) {
        case "estimate":
            try {
                send({ type: "estimated", estimate: await estimate(message.options) });
            } catch (error) {
                send({ type: "loadFailed", message: `cannot read the model file: ${engineMessage(error)}` });
            }
            return;
        case "load":
            try {
                send({ type: "loaded", model: await load(message.options) });
            } catch (error) {
                const details = recentErrors.length > 0 ? ` (llama.cpp: ${recentErrors.join("; ")})` : "";
                send({ type: "loadFailed", message: engineMessage(error) + details });
            }
            return;
        case "generate": {
            const { id } = message;
            if (!(host instanceof LlmHost)) {
                send({ type: "failed", id, error: { kind: "engine", message: "this worker holds no LLM" } });
                return;
            }
            const controller = new AbortController();
            const gate = new ReaderGate();
            let sentFirstToken = false;
            running.set(id, controller);
            gates.set(id, gate);
            try {
                await host.generate(message.params, controller.signal, {
                    gate,
                    accepted: (promptTokens) => send({ type: "accepted", id, promptTokens }),
                    token: (text, logprob) => {
                        send(logprob === undefined ? { type: "token", id, text } : { type: "token", id, text, logprob }, sentFirstToken);
                        sentFirstToken = true;
                    },
                    done: (outcome) => send({ type: "done", id, ...outcome }),
                    promptProgress: (evaluated, total) => send({ type: "promptProgress", id, evaluated, total }),
                    failed: (error) => send({ type: "failed", id, error })
                });
            } finally {
                running.delete(id);
                gates.delete(id);
            }
            return;
        }
        case "embed": {
            const { id } = message;
            if (!(host instanceof EmbeddingHost)) {
                send({ type: "failed", id, error: { kind: "engine", message: "this worker holds no embedding model" } });
                return;
            }
            const controller = new AbortController();
            running.set(id, controller);
            try {
                const result = await host.embed(message.inputs, controller.signal);
                send("kind" in result ? { type: "failed", id, error: result } : { type: "embedded", id, ...result });
            } catch (error) {
                send({ type: "failed", id, error: { kind: "engine", message: engineMessage(error) } });
            } finally {
                running.delete(id);
            }
            return;
        }
        case "tokenize": case "detokenize": {
            const { id } = message;
            if (!(host instanceof LlmHost)) send({ type: "failed", id, error: { kind: "engine", message: "this worker holds no LLM" } });
            else if (message.type === "tokenize") send({ type: "tokenized", id, ...host.tokenize(message.text, message.addSpecial) });
            else {
                const text = host.detokenize(message.tokens);
                send(typeof text === "string" ? { type: "detokenized", id, text } : { type: "failed", id, error: text });
            }
            return;
        }
        case "rank": {
            const { id } = message;
            if (!(host instanceof RankingHost)) send({ type: "failed", id, error: { kind: "engine", message: "this worker holds no reranker" } });
            else {
                try {
                    const ranked = await host.rank(message.query, message.documents);
                    send("kind" in ranked ? { type: "failed", id, error: ranked } : { type: "ranked", id, ...ranked });
                } catch (error) {
                    send({ type: "failed", id, error: { kind: "engine", message: engineMessage(error) } });
                }
            }
            return;
        }
        case "memoryUsage":
            send({ type: "memoryUsage", id: message.id, rssBytes: process.memoryUsage.rss() });
            return;
        case "cancel":
            running.get(message.id)?.abort();
            return;
        case "hold":
            gates.get(message.id)?.close();
            return;
        case "proceed":
            gates.get(message.id)?.reopen();
            return;
        case "shutdown":
            await shutDown(message.savePromptStates);
            return;
    }
}

/**
 * Ends running jobs (each stops within a token, reporting "modelUnloaded"), saves the sequences' prompt states
 * while there is time (the server kills a worker 5 s after asking it to shut down), then exits.
 */
async function shutDown(savePromptStates: boolean): Promise<void> {
    const started = performance.now();
    for (const controller of running.values()) controller.abort(unloadAbortReason);
    while (running.size > 0 && performance.now() < started + 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    flush();
    if (savePromptStates && host instanceof LlmHost && running.size === 0) await host.saveStates(started + 4000).catch(() => {});
    process.exit(0);
}

process.on("message", (message: ToWorker) => void handle(message));
// The server is gone: nothing is left to serve.
process.on("disconnect", () => process.exit(0));
// Ctrl-C in a terminal signals the whole process group: the server shuts its workers down over IPC (letting
// running requests finish), so a worker must not die of the same SIGINT first.
process.on("SIGINT", () => {});
