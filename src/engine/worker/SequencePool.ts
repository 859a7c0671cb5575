import type { LlamaContext, LlamaContextSequence, Token, TokenPredictor } from "node-llama-cpp";

/**
 * The sequences of one context, created once and handed out first come, first served. Of the free sequences,
 * a request gets the one whose cached tokens share the longest prefix with its prompt (the prompt cache).
 * Contract: every acquired sequence is released exactly once, after its generation has stopped.
 */
export class SequencePool {
    private readonly free: LlamaContextSequence[];
    private readonly waiting: Array<{ resolve(sequence: LlamaContextSequence): void; reject(error: Error): void; signal: AbortSignal }> = [];

    /** `predictor`: the token predictor of the sequence with this index (speculative decoding), if any. */
    constructor(context: LlamaContext, predictor: (index: number) => TokenPredictor | undefined = () => undefined) {
        this.free = Array.from({ length: context.totalSequences }, (_, index) => {
            const tokenPredictor = predictor(index);
            return context.getSequence(tokenPredictor === undefined ? {} : { tokenPredictor });
        });
    }

    acquire(prompt: Token[], signal: AbortSignal): Promise<LlamaContextSequence> {
        if (this.free.length > 0) {
            const shared = this.free.map((candidate) => candidate.compareContextTokens(prompt).firstDifferentIndex);
            const best = shared.indexOf(Math.max(...shared));
            return Promise.resolve(this.free.splice(best, 1)[0]!);
        }
        if (signal.aborted) return Promise.reject(new Error("aborted"));
        return new Promise((resolve, reject) => {
            const waiter = { resolve, reject, signal };
            this.waiting.push(waiter);
            signal.addEventListener("abort", () => {
                const index = this.waiting.indexOf(waiter);
                if (index !== -1) this.waiting.splice(index, 1);
                reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
            }, { once: true });
        });
    }

    /** The sequences no generation holds. */
    get idle(): readonly LlamaContextSequence[] {
        return this.free;
    }

    release(sequence: LlamaContextSequence): void {
        const next = this.waiting.shift();
        if (next !== undefined) next.resolve(sequence);
        else this.free.push(sequence);
    }
}
