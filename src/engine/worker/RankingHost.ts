/** One loaded reranker inside an engine worker (node-llama-cpp's ranking context). Runs only in the worker process. */
import type { LlamaModel, LlamaRankingContext } from "node-llama-cpp";
import type { EngineFailureDescription } from "../protocol.js";

export class RankingHost {
    constructor(private readonly context: LlamaRankingContext, private readonly model: LlamaModel) {}

    /** Each document's score for the query, 0 to 1; an input pair longer than the context fails the request first. */
    async rank(query: string, documents: string[]): Promise<{ scores: number[]; tokenCount: number } | EngineFailureDescription> {
        const queryTokens = this.model.tokenize(query).length;
        const documentTokens = documents.map((document) => this.model.tokenize(document).length);
        // The pair as the ranking context reads it: query, document and a few separators.
        const longest = queryTokens + Math.max(0, ...documentTokens) + 4;
        if (longest >= this.context.contextSize) return { kind: "contextLengthExceeded", promptTokens: longest, contextLength: this.context.contextSize };
        const scores = await this.context.rankAll(query, documents);
        return { scores, tokenCount: documentTokens.reduce((total, count) => total + count + queryTokens, 0) };
    }
}
