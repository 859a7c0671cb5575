/** One loaded embedding model inside an engine worker. Runs only in the worker process. */
import type { LlamaEmbeddingContext } from "node-llama-cpp";
import type { EngineFailureDescription } from "../protocol.js";

export type EmbeddingResult = { vectors: number[][]; tokenCounts: number[] };

export class EmbeddingHost {
    constructor(private readonly context: LlamaEmbeddingContext, readonly contextLength: number) {}

    /** Counts every input's tokens first, so an over-long input fails the request before any work is done. */
    async embed(inputs: string[], signal: AbortSignal): Promise<EmbeddingResult | EngineFailureDescription> {
        const tokenCounts = inputs.map((input) => this.context.calculateInputLength(input));
        const longest = Math.max(...tokenCounts);
        if (longest >= this.contextLength) {
            return { kind: "contextLengthExceeded", promptTokens: longest, contextLength: this.contextLength };
        }
        const vectors: number[][] = [];
        for (const input of inputs) {
            if (signal.aborted) return { kind: "engine", message: "cancelled" };
            const embedding = await this.context.getEmbeddingFor(input);
            vectors.push([...embedding.vector]);
        }
        return { vectors, tokenCounts };
    }
}
