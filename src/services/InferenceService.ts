/**
 * Serves generation and embedding requests in native terms: resolve the model, load it if needed, constrain
 * the output (structured output, forced tool calls), run the engine, split the text into reasoning, content and
 * tool calls, and measure. Knows nothing of HTTP or of any API's JSON; the routes translate both ways.
 */
import { randomInt } from "node:crypto";
import { InvalidRequest, WrongModelType } from "../errors.js";
import type { GenerationEvent } from "../engine/EngineProcess.js";
import type { DraftCounts, GenerationParams, RuntimeDescription, SamplingParams, StopReason, TokenLogprob } from "../engine/protocol.js";
import type { ServerMetrics } from "../metrics/ServerMetrics.js";
import type { CatalogEntry, ModelCatalog, ModelType } from "../models/catalog/ModelCatalog.js";
import type { Lease, LoadWatcher, ModelInstance, ModelLifecycle } from "../models/lifecycle/ModelLifecycle.js";
import type { ParsedToolCall } from "../families/callIds.js";
import { FamilyOutputParser, type OutputEvent } from "../families/FamilyOutputParser.js";
import type { ReasoningEffort } from "../families/ModelFamily.js";
import { genericFamily, resolveFamily } from "../families/resolveFamily.js";
import type { ChatTurn, ToolDefinition } from "./chatPrompt.js";
import { planChat, responseFormatGrammar, type OutputReading } from "./chatPlan.js";
import { checkDraftOf, resolveSpeculation } from "./speculationRequest.js";
import { withoutUndefined } from "./withoutUndefined.js";

/** LM Studio's sampling defaults. */
export const defaultSampling: Omit<SamplingParams, "seed"> = {
    temperature: 0.8,
    topK: 40,
    topP: 0.95,
    minP: 0.05,
    repeatPenalty: 1.1,
    presencePenalty: 0,
    frequencyPenalty: 0
};

export type ResponseFormat =
    | { type: "text" }
    | { type: "json_object" }
    | { type: "json_schema"; schema: unknown };

export type GenerationRequest = {
    model: string;
    /** `null`: until the end of generation or of the context. */
    maxTokens: number | null;
    stop: string[];
    sampling: Partial<SamplingParams>;
    responseFormat: ResponseFormat;
    /** Report log-probabilities with this many alternatives per token; `null`: none. */
    logprobs: number | null;
    /** Token id -> bias added to its logit. */
    logitBias: Record<string, number>;
    /** Idle seconds before a model this request loads unloads again; default: the server's JIT TTL. */
    ttlSeconds?: number;
    /** Ollama's keep_alive: the model's idle seconds from this request on, whoever loaded it (0: unload after it; null: never). */
    keepAliveSeconds?: number | null;
    /** LM Studio's `draft_model`: speculative decoding with this draft model (a load this request starts loads it too). */
    draftModel?: string;
    /** The context length of a load this request starts (LM Studio's /api/v1/chat `context_length`). */
    contextLength?: number;
    /** Told when the request waits for its model to load, and how far the load is. */
    loadWatcher?: LoadWatcher;
    /** Report the prompt's evaluation batch by batch (promptProgress events). */
    reportPromptProgress?: boolean;
    /** Reuse a cached prompt prefix (default true); false evaluates the whole prompt afresh. */
    cachePrompt: boolean;
    /** The caller streams: text events as each token is generated. Otherwise the text comes at the end. */
    stream: boolean;
    /** `performance.now()` when the request arrived; time to first token counts from here. */
    receivedAt: number;
    signal: AbortSignal;
};

export type ToolChoice = "none" | "auto" | "required" | { name: string };

export type ChatRequest = GenerationRequest & {
    messages: ChatTurn[];
    tools: ToolDefinition[];
    toolChoice: ToolChoice;
    parallelToolCalls: boolean;
    /**
     * Split reasoning and tool calls out of the text (the OpenAI API). When false (LM Studio's v0 API, whose
     * message has only role and content) the text stays as the model wrote it; tool calls are still detected
     * for the finish reason.
     */
    splitMessage: boolean;
    /** `reasoning_effort`: "none" turns thinking off where the template can; null leaves the template's default. */
    reasoningEffort: ReasoningEffort | null;
    /** Variables for the chat template (a request's `chat_template_kwargs`), over lmhost's own. */
    templateVariables: Record<string, unknown>;
};

export type TextRequest = GenerationRequest & { prompt: string };

export type FinishReason = "stop" | "length" | "tool_calls";

export type ServedModel = {
    id: string;
    architecture: string;
    quantization: string;
    /** The loaded context length per sequence. */
    contextLength: number;
    runtime: RuntimeDescription;
};

export type CompletionSummary = {
    stopReason: StopReason | "toolCalls";
    finishReason: FinishReason;
    promptTokens: number;
    /** Prompt tokens reused from a sequence's cache instead of evaluated. */
    cachedPromptTokens: number;
    completionTokens: number;
    /** Seconds. */
    timeToFirstToken: number;
    /** Seconds from the first to the last generated token. */
    generationTime: number;
    tokensPerSecond: number;
    toolCalls: ParsedToolCall[];
    /** The stop string that ended the answer; null when something else did. */
    stopSequence: string | null;
    /** Speculative decoding's proposals, with the draft model's id (null: prompt lookup); null when it did not speculate. */
    drafts: (DraftCounts & { draftModel: string | null }) | null;
};

export type CompletionEvent =
    | { type: "text"; text: string; logprobs: TokenLogprob[] }
    /** Prompt tokens evaluated so far, batch by batch, until the first token (when the request asked: reportPromptProgress). */
    | { type: "promptProgress"; evaluated: number; total: number }
    | Exclude<OutputEvent, { type: "content" }>
    | { type: "end"; summary: CompletionSummary; logprobs: TokenLogprob[] };

export type CompletionRun = {
    model: ServedModel;
    promptTokens: number;
    events: AsyncIterable<CompletionEvent>;
};

export type EmbeddingResult = {
    model: ServedModel;
    vectors: number[][];
    promptTokens: number;
};

export function finishReasonOf(stopReason: StopReason | "toolCalls"): FinishReason {
    if (stopReason === "toolCalls") return "tool_calls";
    return stopReason === "maxPredictedTokensReached" || stopReason === "contextLengthReached" ? "length" : "stop";
}

/** Scales a vector to unit length (a zero vector stays zero). */
export function normalizeL2(vector: ArrayLike<number>): number[] {
    let sumOfSquares = 0;
    for (let i = 0; i < vector.length; i++) sumOfSquares += vector[i]! * vector[i]!;
    const norm = Math.sqrt(sumOfSquares);
    return Array.from(vector, (value) => (norm === 0 ? 0 : value / norm));
}

export class InferenceService {
    constructor(private readonly catalog: ModelCatalog, private readonly lifecycle: ModelLifecycle, private readonly metrics?: ServerMetrics) {}

    async chat(request: ChatRequest): Promise<CompletionRun> {
        const lease = await this.leaseFor(request.model, "llm", "chat completions", request);
        return this.releasingOnFailure(lease, () => {
            const { prompt, grammar, lazyGrammar, reading } = planChat(lease.instance.entry.header, request);
            return this.run(lease, prompt, { grammar, lazyGrammar }, request, "messages", reading);
        });
    }

    /** The prompt tokens a chat request would evaluate (its model is loaded for it, as a completion would). */
    async countChatTokens(request: ChatRequest): Promise<{ model: ServedModel; promptTokens: number }> {
        const lease = await this.leaseFor(request.model, "llm", "chat completions", request);
        try {
            const { prompt } = planChat(lease.instance.entry.header, request);
            return { model: servedModel(lease.instance), promptTokens: await lease.instance.engine.countPromptTokens(prompt) };
        } finally {
            lease.release();
        }
    }

    /** Reranking (llama-server's /v1/rerank): each document's relevance to the query, 0 to 1, by a reranker model. */
    async rerank(model: string, query: string, documents: string[]): Promise<{ model: ServedModel; scores: number[]; promptTokens: number }> {
        const lease = await this.leaseFor(model, "reranker", "reranking", {});
        try {
            const { scores, tokenCount } = await lease.instance.engine.rank(query, documents);
            this.metrics?.countEmbedding(lease.instance.entry.id, tokenCount);
            return { model: servedModel(lease.instance), scores, promptTokens: tokenCount };
        } finally {
            lease.release();
        }
    }

    /** llama-server's /tokenize, for a model lmhost names (loaded for it). */
    async tokenize(model: string, text: string, addSpecial: boolean, ttlSeconds?: number): Promise<{ tokens: number[]; pieces: string[] }> {
        const lease = await this.leaseFor(model, "llm", "tokenization", ttlSeconds === undefined ? {} : { ttlSeconds });
        try {
            return await lease.instance.engine.tokenize(text, addSpecial);
        } finally {
            lease.release();
        }
    }

    /** llama-server's /detokenize; InvalidRequest for ids beyond the model's vocabulary. */
    async detokenize(model: string, tokens: number[]): Promise<string> {
        const lease = await this.leaseFor(model, "llm", "detokenization", {});
        try {
            return await lease.instance.engine.detokenize(tokens);
        } finally {
            lease.release();
        }
    }

    /** llama-server's /apply-template: the prompt a chat request renders to, from the model's header (nothing loads). */
    async applyTemplate(request: ChatRequest): Promise<string> {
        const named = this.lifecycle.instanceNamed(request.model);
        const entry = named?.entry ?? await this.catalog.resolve(request.model);
        if (entry.type !== "llm") throw new WrongModelType(named?.id ?? entry.id, entry.type, "chat templates");
        return planChat(entry.header, request).prompt;
    }

    async complete(request: TextRequest): Promise<CompletionRun> {
        const lease = await this.leaseFor(request.model, "llm", "text completions", request);
        const family = resolveFamily(lease.instance.entry.header.chatTemplate);
        return this.releasingOnFailure(lease, () => this.run(lease, request.prompt, { grammar: responseFormatGrammar(request.responseFormat), lazyGrammar: null }, request, "prompt",
            { family, split: false, parser: { startsInReasoning: false, readCalls: false, tools: [] } }, false));
    }

    /** `dimensions`: the vector length the client expects; refused unless it is the model's own. */
    async embed(model: string, inputs: string[], signal: AbortSignal, options: { dimensions?: number; ttlSeconds?: number; keepAliveSeconds?: number | null } = {}): Promise<EmbeddingResult> {
        const lease = await this.leaseFor(model, "embeddings", "embeddings", options);
        try {
            const { entry, engine } = lease.instance;
            const own = entry.header.embeddingLength;
            if (options.dimensions !== undefined && own !== null && options.dimensions !== own) {
                throw new InvalidRequest(`Model "${entry.id}" produces ${own}-dimensional embeddings and cannot shorten them; ` +
                    `leave out dimensions or set it to ${own}.`, "dimensions", "unsupported_dimensions");
            }
            const result = await engine.embed(inputs, signal, "input");
            const promptTokens = result.tokenCounts.reduce((total, count) => total + count, 0);
            this.metrics?.countEmbedding(entry.id, promptTokens);
            return {
                model: servedModel(lease.instance),
                vectors: result.vectors.map(normalizeL2),
                promptTokens
            };
        } finally {
            lease.release();
        }
    }

    /** Loads a model if it is not loaded (Ollama's requests with nothing to generate), under these keep-alive terms. */
    async preload(model: string, options: { ttlSeconds?: number; keepAliveSeconds?: number | null; contextLength?: number }): Promise<void> {
        const entry = this.lifecycle.instanceNamed(model)?.entry ?? await this.catalog.resolve(model);
        (await this.leaseFor(model, entry.type, "loading", options)).release();
    }

    /** A lease on the instance a request names: a loaded instance by its id, else a catalog model, loaded if need be. */
    private async leaseFor(requested: string, type: ModelType, endpoint: string,
        options: { ttlSeconds?: number; keepAliveSeconds?: number | null; draftModel?: string; contextLength?: number; loadWatcher?: LoadWatcher }): Promise<Lease> {
        const named = this.lifecycle.instanceNamed(requested);
        const entry: CatalogEntry = named?.entry ?? await this.catalog.resolve(requested);
        if (entry.type !== type) throw new WrongModelType(named?.id ?? entry.id, entry.type, endpoint);
        const speculation = await resolveSpeculation(this.catalog, options.draftModel === undefined ? {} : { draftModel: options.draftModel });
        const jitLoad = { ...speculation, ...(options.contextLength !== undefined ? { contextLength: options.contextLength } : {}) };
        const lease = named ? this.lifecycle.lease(named) : await this.lifecycle.acquire(entry, options.ttlSeconds, jitLoad, options.loadWatcher);
        return this.releasingOnFailure(lease, async () => {
            checkDraftOf(lease.instance, speculation);
            if (options.keepAliveSeconds !== undefined) this.lifecycle.keepAlive(lease.instance, options.keepAliveSeconds);
            return lease;
        });
    }

    private async releasingOnFailure<T>(lease: Lease, work: () => Promise<T>): Promise<T> {
        try {
            return await work();
        } catch (error) {
            lease.release();
            throw error;
        }
    }

    private async run(lease: Lease, prompt: string, constraint: Pick<GenerationParams, "grammar" | "lazyGrammar">, request: GenerationRequest, promptParam: string,
        output: OutputReading, keepControlTokens = output.family !== genericFamily): Promise<CompletionRun> {
        const generation = await lease.instance.engine.generate({
            prompt,
            maxTokens: request.maxTokens,
            stop: request.stop,
            sampling: { ...defaultSampling, seed: randomInt(2 ** 31), ...withoutUndefined(request.sampling) },
            ...constraint,
            logprobs: request.logprobs,
            logitBias: Object.entries(request.logitBias).map(([token, bias]) => [Number(token), bias]),
            reusePromptCache: request.cachePrompt,
            streamTokens: request.stream,
            turnEnd: { endTokens: output.family.endTokens ?? [], notEndTokens: output.family.notEndTokens ?? [] },
            keepControlTokens,
            ...(request.reportPromptProgress ? { reportPromptProgress: true } : {})
        }, request.signal, promptParam);
        const model = lease.instance.entry.id;
        // The lease (and so the busy-sequence count) is held until the engine has let go of the sequence: for a
        // client that left, a token or so after the consumer stopped reading.
        void generation.settled.then(() => lease.release());
        return {
            model: servedModel(lease.instance),
            promptTokens: generation.promptTokens,
            events: shapeOutput(generation.events, generation.promptTokens, request.receivedAt, output, lease.instance.speculation.draftModel,
                (summary) => this.metrics?.countCompletion(model, summary),
                (sawEnd) => {
                    void generation.settled.then((outcome) => {
                        if (outcome === null) return;
                        if (outcome.tokensAfterCancel !== null) this.metrics?.countCancellation(model, outcome.tokensAfterCancel);
                        if (!sawEnd) {
                            this.metrics?.countCompletion(model, {
                                promptTokens: generation.promptTokens, cachedPromptTokens: outcome.cachedTokens, completionTokens: outcome.completionTokens,
                                timeToFirstToken: null, tokensPerSecond: null, stopReason: outcome.stopReason
                            });
                        }
                    });
                })
        };
    }
}

function servedModel({ id, entry, engine }: ModelInstance): ServedModel {
    return {
        id,
        architecture: entry.architecture,
        quantization: entry.quantization,
        contextLength: engine.model.contextLength,
        runtime: engine.model.runtime
    };
}

/**
 * Times the generation, splits its text per `output`, and closes with the summary. `stoppedReading` runs once
 * the consumer is done, telling whether it saw the end (a client that went away does not).
 */
async function* shapeOutput(events: AsyncIterable<GenerationEvent>, promptTokens: number, receivedAt: number,
    output: OutputReading, draftModel: string | null, finished: (summary: CompletionSummary) => void,
    stoppedReading: (sawEnd: boolean) => void): AsyncGenerator<CompletionEvent> {
    let sawEnd = false;
    try {
        for await (const event of shapeEvents(events, promptTokens, receivedAt, output, draftModel)) {
            if (event.type === "end") {
                sawEnd = true;
                finished(event.summary);
            }
            yield event;
        }
    } finally {
        stoppedReading(sawEnd);
    }
}

async function* shapeEvents(events: AsyncIterable<GenerationEvent>, promptTokens: number, receivedAt: number,
    output: OutputReading, draftModel: string | null): AsyncGenerator<CompletionEvent> {
    const reader = new FamilyOutputParser(output.family, output.parser);
    // Without splitting (LM Studio's v0), the text goes out as the model wrote it; calls are still read from it,
    // for the finish reason.
    const parser = output.split ? reader : null;
    const detector = output.split || !output.parser.readCalls ? null : reader;
    let firstTokenAt: number | null = null;
    let lastTokenAt = receivedAt;
    let tokenEvents = 0;
    let pendingLogprobs: TokenLogprob[] = [];
    const pushText = (text: string): OutputEvent[] => {
        detector?.push(text);
        return parser ? parser.push(text) : text === "" ? [] : [{ type: "content", text }];
    };
    function* route(parsed: OutputEvent[]): Generator<CompletionEvent> {
        for (const event of parsed) {
            if (event.type !== "content") {
                yield event;
                continue;
            }
            yield { type: "text", text: event.text, logprobs: pendingLogprobs };
            pendingLogprobs = [];
        }
    }
    for await (const event of events) {
        if (event.type === "promptProgress") {
            yield event;
            continue;
        }
        if (event.type === "token") {
            tokenEvents++;
            lastTokenAt = performance.now();
            firstTokenAt ??= lastTokenAt;
            if (event.logprob) pendingLogprobs.push(event.logprob);
            if (event.text !== "") yield* route(pushText(event.text));
            continue;
        }
        // Without streaming, only the first token was announced: the last one came with "done".
        if (tokenEvents < event.completionTokens) lastTokenAt = performance.now();
        pendingLogprobs.push(...event.logprobs);
        yield* route(pushText(event.text));
        yield* route(parser?.finish(event.endToken) ?? []);
        detector?.finish(event.endToken);
        const toolCalls = (parser ?? detector)?.toolCalls ?? [];
        const naturalEnd = event.stopReason === "eosFound" || event.stopReason === "stopStringFound";
        const stopReason = toolCalls.length > 0 && naturalEnd ? "toolCalls" : event.stopReason;
        const generationTime = firstTokenAt === null ? 0 : (lastTokenAt - firstTokenAt) / 1000;
        yield {
            type: "end",
            logprobs: pendingLogprobs,
            summary: {
                stopReason,
                finishReason: finishReasonOf(stopReason),
                promptTokens,
                cachedPromptTokens: event.cachedTokens,
                completionTokens: event.completionTokens,
                timeToFirstToken: firstTokenAt === null ? 0 : (firstTokenAt - receivedAt) / 1000,
                generationTime,
                tokensPerSecond: generationTime > 0 ? (event.completionTokens - 1) / generationTime : 0,
                toolCalls,
                stopSequence: event.stopString,
                drafts: event.drafts === null ? null : { ...event.drafts, draftModel }
            }
        };
    }
}
