import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";

/**
 * The sequences of one context, created once and handed out first come, first served.
 * Contract: every acquired sequence is released exactly once, after its generation has stopped.
 */
export class SequencePool {
    private readonly free: LlamaContextSequence[];
    private readonly waiting: Array<{ resolve(sequence: LlamaContextSequence): void; reject(error: Error): void; signal: AbortSignal }> = [];

    constructor(context: LlamaContext) {
        this.free = Array.from({ length: context.totalSequences }, () => context.getSequence());
    }

    acquire(signal: AbortSignal): Promise<LlamaContextSequence> {
        const sequence = this.free.shift();
        if (sequence !== undefined) return Promise.resolve(sequence);
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

    release(sequence: LlamaContextSequence): void {
        const next = this.waiting.shift();
        if (next !== undefined) next.resolve(sequence);
        else this.free.push(sequence);
    }
}
