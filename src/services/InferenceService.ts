/**
 * Serves generation and embedding requests in native terms: resolve the model, load it if needed, run the
 * engine, and measure. Knows nothing of HTTP or of any API's JSON; the routes translate both ways.
 */
import { randomInt } from "node:crypto";
import { WrongModelType } from "../errors.js";
import type { GenerationEvent } from "../engine/EngineProcess.js";
import type { RuntimeDescription, SamplingParams, StopReason } from "../engine/protocol.js";
import type { ModelCatalog, CatalogEntry, ModelType } from "../models/catalog/ModelCatalog.js";
import type { LoadedModel, ModelLifecycle } from "../models/lifecycle/ModelLifecycle.js";
import { renderChatPrompt, type ChatTurn } from "./chatPrompt.js";

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

export type GenerationRequest = {
    model: string;
    /** `null`: until the end of generation or of the context. */
    maxTokens: number | null;
    stop: string[];
    sampling: Partial<SamplingParams>;
    /** `performance.now()` when the request arrived; time to first token counts from here. */
    receivedAt: number;
    signal: AbortSignal;
};

export type ChatRequest = GenerationRequest & { messages: ChatTurn[] };
export type TextRequest = GenerationRequest & { prompt: string };

export type FinishReason = "stop" | "length";

export type ServedModel = {
    id: string;
    architecture: string;
    quantization: string;
    /** The loaded context length per sequence. */
    contextLength: number;
    runtime: RuntimeDescription;
};

export type CompletionSummary = {
    stopReason: StopReason;
    finishReason: FinishReason;
    promptTokens: number;
    completionTokens: number;
    /** Seconds. */
    timeToFirstToken: number;
    /** Seconds from the first to the last generated token. */
    generationTime: number;
    tokensPerSecond: number;
};

export type CompletionEvent = { type: "text"; text: string } | { type: "end"; summary: CompletionSummary };

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

export function finishReasonOf(stopReason: StopReason): FinishReason {
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
    constructor(private readonly catalog: ModelCatalog, private readonly lifecycle: ModelLifecycle) {}

    async chat(request: ChatRequest): Promise<CompletionRun> {
        const loaded = await this.loadFor(request.model, "llm", "chat completions");
        const prompt = renderChatPrompt(loaded.entry.header, request.messages);
        return this.run(loaded, prompt, request, "messages");
    }

    async complete(request: TextRequest): Promise<CompletionRun> {
        const loaded = await this.loadFor(request.model, "llm", "text completions");
        return this.run(loaded, request.prompt, request, "prompt");
    }

    async embed(model: string, inputs: string[], signal: AbortSignal): Promise<EmbeddingResult> {
        const loaded = await this.loadFor(model, "embeddings", "embeddings");
        const result = await loaded.engine.embed(inputs, signal, "input");
        return {
            model: servedModel(loaded),
            vectors: result.vectors.map(normalizeL2),
            promptTokens: result.tokenCounts.reduce((total, count) => total + count, 0)
        };
    }

    private async loadFor(requested: string, type: ModelType, endpoint: string): Promise<LoadedModel> {
        const entry: CatalogEntry = await this.catalog.resolve(requested);
        if (entry.type !== type) throw new WrongModelType(entry.id, entry.type, endpoint);
        return this.lifecycle.acquire(entry);
    }

    private async run(loaded: LoadedModel, prompt: string, request: GenerationRequest, promptParam: string): Promise<CompletionRun> {
        const generation = await loaded.engine.generate({
            prompt,
            maxTokens: request.maxTokens,
            stop: request.stop,
            sampling: { ...defaultSampling, seed: randomInt(2 ** 31), ...withoutUndefined(request.sampling) }
        }, request.signal, promptParam);
        return {
            model: servedModel(loaded),
            promptTokens: generation.promptTokens,
            events: measure(generation.events, generation.promptTokens, request.receivedAt)
        };
    }
}

function servedModel({ entry, engine }: LoadedModel): ServedModel {
    return {
        id: entry.id,
        architecture: entry.architecture,
        quantization: entry.quantization,
        contextLength: engine.model.contextLength,
        runtime: engine.model.runtime
    };
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
    return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

async function* measure(events: AsyncIterable<GenerationEvent>, promptTokens: number, receivedAt: number): AsyncGenerator<CompletionEvent> {
    let firstTokenAt: number | null = null;
    let lastTokenAt = receivedAt;
    for await (const event of events) {
        if (event.type === "token") {
            lastTokenAt = performance.now();
            firstTokenAt ??= lastTokenAt;
            if (event.text !== "") yield { type: "text", text: event.text };
            continue;
        }
        if (event.text !== "") yield { type: "text", text: event.text };
        const generationTime = firstTokenAt === null ? 0 : (lastTokenAt - firstTokenAt) / 1000;
        yield {
            type: "end",
            summary: {
                stopReason: event.stopReason,
                finishReason: finishReasonOf(event.stopReason),
                promptTokens,
                completionTokens: event.completionTokens,
                timeToFirstToken: firstTokenAt === null ? 0 : (firstTokenAt - receivedAt) / 1000,
                generationTime,
                tokensPerSecond: generationTime > 0 ? (event.completionTokens - 1) / generationTime : 0
            }
        };
    }
}
