/**
 * One loaded LLM inside an engine worker: its context, a pool of sequences, and the generation loop.
 * Runs only in the worker process.
 */
import { LlamaGrammarEvaluationState, TokenBias, TokenMeter, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import type { ReaderGate } from "./ReaderGate.js";
import { unloadAbortReason, type EngineFailureDescription, type GenerationDone, type GenerationParams, type StopReason, type TokenLogprob } from "../protocol.js";
import type { BatchAssembler } from "./BatchAssembler.js";
import type { GrammarCache } from "./grammars.js";
import { StopStringDetector } from "../StopStringDetector.js";
import { reportableLogprob } from "./reportableLogprob.js";
import { LazyGrammar } from "./LazyGrammar.js";
import { minimumCachedTokens, type PromptStateCache } from "./PromptStateCache.js";
import { SequencePool } from "./SequencePool.js";
import { draftCountsSince, SequentialDraftPredictor, SwitchableTokenPredictor, type Speculation } from "./speculation.js";
import { TokenTextDecoder } from "./TokenTextDecoder.js";

/** A draft model's context (a sequence for each of the model's) and how it drafts. */
type DraftSettings = { context: LlamaContext; maxTokens: number; minConfidence: number };

/** How many recent tokens repeat/presence/frequency penalties look at (llama.cpp's and LM Studio's default). */
const penaltyWindow = 64;

export type GenerationCallbacks = {
    accepted(promptTokens: number): void;
    token(text: string, logprob?: TokenLogprob): void;
    done(outcome: GenerationDone): void;
    failed(error: EngineFailureDescription): void;
    /** Prompt tokens evaluated of those to evaluate, as the batches go (GenerationParams.reportPromptProgress). */
    promptProgress?(evaluated: number, total: number): void;
    /** Closed while the reader of the tokens is behind: the generation waits between tokens. */
    gate?: ReaderGate;
};

/** Why a cancelled generation stopped: its model went (unload, shutdown of the worker) or its request did. */
const cancelledBy = (signal: AbortSignal): StopReason => (signal.reason === unloadAbortReason ? "modelUnloaded" : "userStopped");

export class LlmHost {
    private readonly pool: SequencePool;
    private readonly specialTokens = new Map<string, Token | null>();
    /** Generations joining now (preparing their sequence); see prepareSequence. */
    private joining = 0;
    private joinGate: Promise<void> = Promise.resolve();
    private openJoinGate: () => void = () => {};

    /** What this load speculates with; null: it does not. */
    private readonly speculation: Speculation;

    /**
     * `draft.context`: a draft model's context with a sequence for each of `context`'s (speculative decoding);
     * `promptLookup`: speculate from the prompt instead. A sequence gets a predictor only when the load speculates:
     * node-llama-cpp's speculative evaluation costs a little per token even without proposals (and a state
     * checkpoint per token on sliding-window models).
     */
    constructor(private readonly model: LlamaModel, private readonly context: LlamaContext, private readonly grammars: GrammarCache,
        private readonly batches: BatchAssembler, speculation: { draft?: DraftSettings; promptLookup?: boolean } = {},
        private readonly promptCache: PromptStateCache | null = null) {
        const { draft } = speculation;
        this.speculation = draft !== undefined ? "draft" : speculation.promptLookup === true ? "promptLookup" : null;
        this.pool = new SequencePool(context, () => this.speculation === null ? undefined
            : new SwitchableTokenPredictor(draft === undefined ? null : new SequentialDraftPredictor(draft.context.getSequence(), draft)));
    }

    get contextLength(): number {
        return this.context.contextSize;
    }

    get prependsBos(): boolean {
        return this.model.tokens.shouldPrependBosToken;
    }

    tokenizePrompt(prompt: string): Token[] {
        const tokens = this.model.tokenize(prompt, true);
        const bos = this.model.tokens.bos;
        if (this.prependsBos && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
        return tokens;
    }

    /** `text`'s tokens (special tokens parsed; `addSpecial`: BOS as a prompt gets it) and each token's text. */
    tokenize(text: string, addSpecial: boolean): { tokens: number[]; pieces: string[] } {
        const tokens = addSpecial ? this.tokenizePrompt(text) : this.model.tokenize(text, true);
        return { tokens, pieces: tokens.map((token) => this.model.detokenize([token], true)) };
    }

    /** The text of `tokens`, or why not: llama.cpp aborts the process on an id beyond its vocabulary. */
    detokenize(tokens: number[]): string | EngineFailureDescription {
        const vocabularySize = this.vocabularySize;
        const invalid = tokens.find((token) => !Number.isInteger(token) || token < 0 || token >= vocabularySize);
        if (invalid !== undefined) return { kind: "invalidToken", token: invalid, vocabularySize };
        return this.model.detokenize(tokens as Token[], true);
    }

    /** The tokens of the model's vocabulary, from its GGUF header. */
    get vocabularySize(): number {
        return this.model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    }

    async generate(params: GenerationParams, signal: AbortSignal, callbacks: GenerationCallbacks): Promise<void> {
        const promptTokens = this.tokenizePrompt(params.prompt);
        if (promptTokens.length === 0) promptTokens.push(...this.fallbackFirstToken());
        if (promptTokens.length >= this.contextLength) {
            callbacks.failed({ kind: "contextLengthExceeded", promptTokens: promptTokens.length, contextLength: this.contextLength });
            return;
        }
        let grammarState: LlamaGrammarEvaluationState | LazyGrammar | undefined;
        try {
            if (params.grammar !== null) grammarState = new LlamaGrammarEvaluationState({ model: this.model, grammar: await this.grammars.get(params.grammar) });
            else if (params.lazyGrammar !== null) grammarState = new LazyGrammar(this.model, await this.grammars.get(params.lazyGrammar.grammar), params.lazyGrammar.trigger, params.lazyGrammar.reasoning);
        } catch (error) {
            callbacks.failed({ kind: "invalidGrammar", message: error instanceof Error ? error.message : String(error) });
            return;
        }
        callbacks.accepted(promptTokens.length);
        let sequence: LlamaContextSequence;
        try {
            sequence = await this.pool.acquire(promptTokens, signal);
        } catch {
            callbacks.done({ stopReason: "userStopped", completionTokens: 0, text: "", cachedTokens: 0, logprobs: [], tokensAfterCancel: 0, endToken: null, stopString: null, drafts: null });
            return;
        }
        try {
            await this.runGeneration(sequence, promptTokens, params, grammarState, signal, callbacks);
        } catch (error) {
            callbacks.failed({ kind: "engine", message: error instanceof Error ? error.message : String(error) });
        } finally {
            this.pool.release(sequence);
        }
    }

    /** An empty prompt still needs one token to predict from. */
    private fallbackFirstToken(): Token[] {
        const start = this.model.tokens.bos ?? this.model.tokens.eos;
        return start === null ? [] : [start];
    }

    /**
     * Prepares a sequence for a joining generation while the others pause between tokens. Erasing a sequence's
     * cache takes node-llama-cpp's context lock, which its decode loop holds for as long as any generation keeps
     * asking for tokens: without the pause, a request arriving while others generate would wait for all of them
     * to finish instead of joining their batches.
     */
    private async prepareSequence(sequence: LlamaContextSequence, prompt: Token[], allowed: boolean): Promise<number> {
        if (this.joining++ === 0) this.joinGate = new Promise((open) => { this.openJoinGate = open; });
        try {
            return await this.reuseCachedPrefix(sequence, prompt, allowed);
        } finally {
            if (--this.joining === 0) this.openJoinGate();
        }
    }

    /**
     * Keeps the part of the sequence's context that the prompt starts with and erases the rest, so only the new
     * tokens are evaluated. At least one prompt token is always evaluated: generation needs its logits.
     * Returns how many prompt tokens were reused.
     */
    private async reuseCachedPrefix(sequence: LlamaContextSequence, prompt: Token[], allowed: boolean): Promise<number> {
        let shared = allowed ? sequence.compareContextTokens(prompt).firstDifferentIndex : 0;
        if (this.promptCache !== null) shared = await this.swapInSavedState(this.promptCache, sequence, prompt, shared, allowed);
        const keep = Math.min(shared, prompt.length - 1);
        if (keep === 0) await sequence.clearHistory();
        else if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
        return keep;
    }

    /**
     * The host prompt cache's part: saves what the prompt is about to push out of the sequence, then loads a saved
     * state that starts the prompt when it shares more with it than the sequence does. Returns the shared prefix.
     */
    private async swapInSavedState(cache: PromptStateCache, sequence: LlamaContextSequence, prompt: Token[], shared: number, allowed: boolean): Promise<number> {
        const saved = allowed ? cache.find(prompt, shared, this.contextLength) : null;
        if (saved === null && sequence.nextTokenIndex - shared < minimumCachedTokens) return shared;
        await this.saveState(cache, sequence, prompt);
        if (saved === null || !await cache.restore(sequence, saved)) return saved === null ? Math.min(shared, sequence.nextTokenIndex) : 0;
        return sequence.compareContextTokens(prompt).firstDifferentIndex;
    }

    /** Saves what `prompt` would push out of the sequence (see PromptStateCache.saveDisplaced). */
    private async saveState(cache: PromptStateCache, sequence: LlamaContextSequence, prompt: Token[]): Promise<void> {
        // Verified proposals of speculative decoding sit in the KV cache past the sequence's tokens, where a saved
        // state must not carry them: erasing the last token drops them too.
        if (this.speculation !== null && sequence.nextTokenIndex > 0) {
            await sequence.eraseContextTokenRanges([{ start: sequence.nextTokenIndex - 1, end: sequence.nextTokenIndex }]);
        }
        await cache.saveDisplaced(sequence, prompt);
    }

    /** Before the model unloads: saves the idle sequences' states while there is time (`deadline`, performance.now()). */
    async saveStates(deadline: number): Promise<void> {
        if (this.promptCache === null) return;
        for (const sequence of this.pool.idle) {
            if (performance.now() >= deadline) return;
            await this.saveState(this.promptCache, sequence, []);
        }
    }

    /**
     * Reports the prompt's evaluation batch by batch. node-llama-cpp decodes a long prompt's batches in one loop,
     * counting each batch's tokens on the sequence's token meter as it puts the batch together: so when a batch is
     * counted, the tokens counted before it are decoded. The meter's `useTokens` is observed for the prompt's
     * duration (the binding has no per-batch callback of its own). Returns the function that ends it with 100%.
     */
    private reportPromptProgress(sequence: LlamaContextSequence, total: number, callbacks: GenerationCallbacks): () => void {
        const meter = sequence.tokenMeter;
        const meterAtStart = meter.usedInputTokens;
        let reported = -1;
        const report = (evaluated: number) => {
            if (evaluated === reported) return;
            reported = evaluated;
            callbacks.promptProgress?.(evaluated, total);
        };
        report(0);
        meter.useTokens = (tokens, type) => {
            if (type === "input") report(Math.min(total, meter.usedInputTokens - meterAtStart));
            TokenMeter.prototype.useTokens.call(meter, tokens, type);
        };
        let stopped = false;
        return () => {
            if (stopped) return;
            stopped = true;
            delete (meter as { useTokens?: unknown }).useTokens;
            report(total);
        };
    }

    /** The single token a special token's text stands for, or null when it is no token of this model. */
    private specialToken(text: string): Token | null {
        let token = this.specialTokens.get(text);
        if (token === undefined) {
            const tokens = this.model.tokenize(text, true);
            token = tokens.length === 1 ? tokens[0]! : null;
            this.specialTokens.set(text, token);
        }
        return token;
    }

    /** The turn's end: the model's end-of-generation tokens, adjusted for its family. */
    private turnEndCheck(turnEnd: GenerationParams["turnEnd"]): (token: Token) => boolean {
        const ids = (texts: string[]) => new Set(texts.map((text) => this.specialToken(text)).filter((token): token is Token => token !== null));
        const more = ids(turnEnd.endTokens);
        const fewer = ids(turnEnd.notEndTokens);
        return (token) => !fewer.has(token) && (more.has(token) || this.model.isEogToken(token));
    }

    private tokenBias(logitBias: GenerationParams["logitBias"]): TokenBias | undefined {
        if (logitBias.length === 0) return undefined;
        const bias = new TokenBias(this.model.tokenizer);
        for (const [token, value] of logitBias) bias.set(token as Token, { logit: value });
        return bias;
    }

    private describeToken(token: Token, probability: number, probabilities: Map<Token, number> | undefined, top: number): TokenLogprob {
        const text = (candidate: Token) => this.model.detokenize([candidate], true);
        return {
            token: text(token),
            logprob: reportableLogprob(probability),
            top: probabilities === undefined ? [] : [...probabilities].slice(0, top).map(([candidate, p]) => ({ token: text(candidate), logprob: reportableLogprob(p) }))
        };
    }

    private async runGeneration(sequence: LlamaContextSequence, promptTokens: Token[], params: GenerationParams,
        grammarState: LlamaGrammarEvaluationState | LazyGrammar | undefined, signal: AbortSignal, callbacks: GenerationCallbacks): Promise<void> {
        const lazy = grammarState instanceof LazyGrammar ? grammarState : null;
        const cachedTokens = await this.prepareSequence(sequence, promptTokens, params.reusePromptCache);
        const { sampling } = params;
        // Ollama's repeat_last_n: 0 disables the penalties, as there.
        const window = sampling.repeatLastN ?? penaltyWindow;
        const recentTokens = window === 0 ? [] : promptTokens.slice(-window);
        const decoder = new TokenTextDecoder(this.model, params.keepControlTokens);
        const endsTurn = this.turnEndCheck(params.turnEnd);
        let endToken: string | null = null;
        const stops = new StopStringDetector(params.stop);
        let completionTokens = 0;
        let stopReason: StopReason = "eosFound";
        let tokensAtCancel: number | null = signal.aborted ? 0 : null;
        signal.addEventListener("abort", () => { tokensAtCancel ??= completionTokens; }, { once: true });
        // With a grammar, no speculation: see SwitchableTokenPredictor.
        const speculation = grammarState === undefined ? this.speculation : null;
        (sequence.tokenPredictor as SwitchableTokenPredictor | undefined)?.use(speculation, promptTokens);
        const predictionsBefore = sequence.tokenPredictions;
        const done = (text: string, logprobs: TokenLogprob[]) => callbacks.done({
            stopReason, completionTokens, text, cachedTokens, logprobs, tokensAfterCancel: tokensAtCancel === null ? null : completionTokens - tokensAtCancel, endToken,
            stopString: stops.stoppedBy,
            drafts: speculation === null ? null : draftCountsSince(predictionsBefore, sequence.tokenPredictions)
        });
        // Without streaming, the text and log-probabilities travel with "done".
        let heldText = "";
        const heldLogprobs: TokenLogprob[] = [];
        const top = params.logprobs ?? 0;
        const metadata = { confidence: params.logprobs !== null, probabilities: top > 0 } as const;
        const evaluation = sequence.evaluateWithMetadata(promptTokens.slice(cachedTokens), metadata, {
            temperature: sampling.temperature,
            topK: sampling.topK,
            topP: sampling.topP,
            minP: sampling.minP,
            seed: sampling.seed,
            repeatPenalty: {
                punishTokens: () => recentTokens,
                maxPunishTokens: Math.max(window, 1),
                penalty: sampling.repeatPenalty,
                presencePenalty: sampling.presencePenalty,
                frequencyPenalty: sampling.frequencyPenalty
            },
            grammarEvaluationState: lazy?.current ?? (grammarState as LlamaGrammarEvaluationState | undefined),
            tokenBias: this.tokenBias(params.logitBias),
            // The turn's end is decided here, from the family's end set, not from the binding's single guess.
            yieldEogToken: true
        });
        let member = this.batches.join();
        const stopReportingPrompt = params.reportPromptProgress ? this.reportPromptProgress(sequence, promptTokens.length - cachedTokens, callbacks) : () => {};
        try {
            for await (const output of evaluation) {
                stopReportingPrompt();
                member.received();
                const token = output.token;
                if (endsTurn(token)) {
                    endToken = this.model.detokenize([token], true);
                    break;
                }
                completionTokens++;
                recentTokens.push(token);
                if (recentTokens.length > window) recentTokens.shift();
                const tokenText = decoder.push(token);
                lazy?.push(token, tokenText);
                const text = stops.push(tokenText);
                const confidence = (output as { confidence?: number }).confidence;
                const probabilities = (output as { probabilities?: Map<Token, number> }).probabilities;
                const logprob = confidence === undefined ? undefined : this.describeToken(token, confidence, probabilities, top);
                if (params.streamTokens) callbacks.token(text, logprob);
                else {
                    if (completionTokens === 1) callbacks.token("");
                    heldText += text;
                    if (logprob) heldLogprobs.push(logprob);
                }
                const ended = stops.stopped ? "stopStringFound"
                    : signal.aborted ? cancelledBy(signal)
                    : params.maxTokens !== null && completionTokens >= params.maxTokens ? "maxPredictedTokensReached"
                    // The token just yielded takes the next cell; stop before the context would have to shift.
                    : sequence.nextTokenIndex + 1 >= this.contextLength ? "contextLengthReached"
                    : null;
                if (ended !== null) {
                    stopReason = ended;
                    break;
                }
                if (this.joining > 0) await this.joinGate;
                if (callbacks.gate?.closed) {
                    // Out of the batch while held, so the others do not wait for it.
                    member.leave();
                    await callbacks.gate.passage(signal);
                    member = this.batches.join();
                    if (signal.aborted) {
                        stopReason = cancelledBy(signal);
                        break;
                    }
                }
                await member.ready();
            }
        } finally {
            stopReportingPrompt();
            member.leave();
        }
        let rest = "";
        if (!stops.stopped) {
            rest = stops.push(decoder.flush());
            if (stops.stopped) stopReason = "stopStringFound";
            else rest += stops.flush();
        }
        done(heldText + rest, heldLogprobs);
    }
}

