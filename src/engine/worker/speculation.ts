/**
 * Speculative decoding: a predictor proposes the next tokens, the target model checks them all in one batch, and
 * every proposed token it would have generated itself costs no decode step of its own (node-llama-cpp's token
 * predictors, verified in its `_speculativeEvaluate`). Output is unchanged: a proposal is kept only where the
 * target samples that very token.
 *
 * Proposals come from a draft model (a smaller model with the same vocabulary) or from the prompt itself
 * (prompt lookup: the tokens that followed the last few generated ones where they occur in the prompt, which pays
 * when the answer copies its input: code edits, quoting).
 */
import { InputLookupTokenPredictor, TokenPredictor, type LlamaContextSequence, type SequenceEvaluateOptions, type Token } from "node-llama-cpp";
import type { DraftCounts } from "../protocol.js";

/**
 * Tokens drafted per step at most, and the draft's confidence below which it stops drafting: llama-server's
 * defaults at the llama.cpp commit node-llama-cpp ships (--spec-draft-n-max 3, --spec-draft-p-min 0).
 */
export const draftDefaults = { maxTokens: 3, minConfidence: 0 } as const;
/** Prompt lookup: up to this many tokens per step (llama-server's n-gram drafts default to 16 too; fewer wastes less when it guesses wrong). */
const promptLookupMaxTokens = 8;

/**
 * Drafts with a draft model in turn with the target's decode: the target waits while the draft writes its tokens,
 * then verifies them. node-llama-cpp's DraftSequenceTokenPredictor drafts in the background instead, while the
 * target decodes; on a CPU both then share the cores, and measured on 2 vCPUs with a model as its own draft that was
 * 18x slower than no draft at all (bench/results/speculative-2026-12-01.md). llama-server drafts in turn, too.
 * A draft is greedy, and stops at the first token it is less sure of than `minConfidence`.
 */
export class SequentialDraftPredictor extends TokenPredictor {
    /** The target's tokens: its context and the tokens it evaluates next. */
    private history: Token[] = [];
    private evaluateOptions: Readonly<SequenceEvaluateOptions> = {};

    constructor(private readonly draft: LlamaContextSequence, private readonly options: { maxTokens: number; minConfidence: number } = draftDefaults) {
        super();
    }

    reset({ stateTokens, evaluateOptions }: { stateTokens: Token[]; evaluateOptions: Readonly<SequenceEvaluateOptions> }): void {
        this.history = stateTokens.slice();
        this.evaluateOptions = evaluateOptions;
    }

    pushTokens(tokens: Token[]): void {
        this.history.push(...tokens);
    }

    async predictTokens(): Promise<Token[]> {
        if (this.history.length === 0) return [];
        // Keep what the draft's context shares with the target's; at least the last token is evaluated again, for its logits.
        const keep = Math.min(this.draft.compareContextTokens(this.history).firstDifferentIndex, this.history.length - 1);
        if (keep < this.draft.nextTokenIndex) await this.draft.eraseContextTokenRanges([{ start: keep, end: this.draft.nextTokenIndex }]);
        const room = this.draft.context.contextSize - this.history.length - 1;
        if (room <= 0) return [];
        const drafted: Token[] = [];
        const penalty = this.evaluateOptions.repeatPenalty;
        const history = this.history;
        const evaluation = this.draft.evaluateWithMetadata(history.slice(keep), { confidence: true }, {
            // Greedy: the draft guesses the target's most likely token, which is what a greedy target keeps.
            temperature: 0,
            ...(penalty ? {
                repeatPenalty: {
                    ...penalty,
                    punishTokens: () => [...history, ...drafted].slice(-(penalty.maxPunishTokens ?? 64))
                }
            } : {}),
            ...(this.evaluateOptions.tokenBias !== undefined ? { tokenBias: this.evaluateOptions.tokenBias } : {}),
            yieldEogToken: true
        });
        for await (const { token, confidence } of evaluation) {
            if (confidence < this.options.minConfidence) break;
            drafted.push(token);
            if (this.draft.model.isEogToken(token) || drafted.length >= Math.min(this.options.maxTokens, room)) break;
        }
        return drafted;
    }
}

export type Speculation = "draft" | "promptLookup" | null;

/**
 * A sequence's predictor, set per generation: a sequence is created once with its predictor, but whether a
 * generation speculates, and how, is the request's (a grammar turns it off: node-llama-cpp checks a proposal's
 * later positions against a grammar state that has not taken the tokens before it).
 */
export class SwitchableTokenPredictor extends TokenPredictor {
    private active: TokenPredictor | null = null;
    private readonly promptLookup = new InputLookupTokenPredictor({ predictionLength: { max: promptLookupMaxTokens } });

    constructor(private readonly draft: SequentialDraftPredictor | null) {
        super();
    }

    get hasDraft(): boolean {
        return this.draft !== null;
    }

    /** Chooses the predictor of the next generation, whose prompt prompt lookup searches. */
    use(speculation: Speculation, promptTokens: Token[]): void {
        void this.active?.stop();
        this.active = speculation === "draft" ? this.draft : speculation === "promptLookup" ? this.promptLookup : null;
        if (speculation === "promptLookup") this.promptLookup.updateInputTokens(promptTokens);
    }

    reset(params: Parameters<TokenPredictor["reset"]>[0]): Promise<void> | void {
        return this.active?.reset(params);
    }

    pushTokens(tokens: Token[]): void {
        this.active?.pushTokens(tokens);
    }

    predictTokens(): Promise<Token[]> | Token[] {
        return this.active?.predictTokens() ?? [];
    }

    override stop(untilPredictionsExhausted?: boolean): Promise<void> | void {
        return this.active?.stop(untilPredictionsExhausted);
    }

    override dispose(): void {
        this.promptLookup.dispose();
    }
}

/** node-llama-cpp's per-sequence prediction counters, as LM Studio's draft counts since `before`. */
export function draftCountsSince(before: LlamaContextSequence["tokenPredictions"], after: LlamaContextSequence["tokenPredictions"]): DraftCounts {
    const validated = after.validated - before.validated;
    const rejected = after.refuted - before.refuted;
    const accepted = after.used - before.used;
    return { drafted: validated + rejected, accepted, rejected, ignored: Math.max(0, validated - accepted) };
}
