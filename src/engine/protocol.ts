/**
 * Messages between the server process and an engine worker process (one worker per loaded model), sent over
 * Node's IPC channel as JSON.
 */

export type ModelKind = "llm" | "embeddings" | "reranker";

export type EngineBuild = "auto" | "prebuilt" | "openmp";

export const kvCacheTypes = ["f16", "q8_0", "q4_0"] as const;
export type KvCacheType = typeof kvCacheTypes[number];

/** What a load may tune beyond its context length and parallel sequences. */
export type EngineTuning = Pick<LoadOptions, "batchSize" | "flashAttention" | "kvCacheType">;

export type LoadOptions = {
    modelPath: string;
    kind: ModelKind;
    /** Tokens per sequence. */
    contextLength: number;
    /** Sequences (parallel requests) in the LLM's context. */
    parallel: number;
    threads: number;
    /** Tokens evaluated per batch; default: node-llama-cpp's (512, or less for small contexts). */
    batchSize?: number;
    /** Default: node-llama-cpp's ("auto": on where the model and hardware support it); on for a quantized KV cache. */
    flashAttention?: boolean;
    /** The KV cache's element type (keys and values). Default f16; q8_0 takes about half its memory, q4_0 about a quarter. */
    kvCacheType?: KvCacheType;
    /**
     * A draft model (same vocabulary) whose proposals the model verifies in batches: speculative decoding. It
     * proposes up to `maxTokens` a step, while it is at least `minConfidence` sure (defaults: 16 and 0.75).
     */
    draft?: DraftOptions;
    /** Speculate from the prompt instead: the tokens that followed the last few generated ones where they occur in it. */
    promptLookup?: boolean;
    /** Save prompt states pushed out of the sequences in this folder (up to `maxBytes`), and load them back when their prompt returns. */
    promptCache?: { directory: string; maxBytes: number };
    /**
     * Which llama.cpp binary: "prebuilt" (node-llama-cpp's, with the CPU backend npm install compiles where it
     * could), "openmp" (the local OpenMP build `npm run build:engine` makes), or "auto": prebuilt when the CPU
     * backend was compiled, else the OpenMP build when it exists and no GPU is in use, else prebuilt.
     */
    engineBuild: EngineBuild;
    /** node-llama-cpp's GPU choice: "auto" uses CUDA/Vulkan/Metal when a prebuilt binary works, else the CPU. */
    gpu: "auto" | false;
};

export type DraftOptions = { modelPath: string; maxTokens?: number; minConfidence?: number };

/** What node-llama-cpp's GGUF insights expect a load to take, in bytes. */
export type ResourceEstimate = { modelRam: number; contextRam: number; vram: number };

export type RuntimeDescription = { name: string; version: string; supportedFormats: string[] };

export type LoadedModelDescription = {
    contextLength: number;
    parallel: number;
    threads: number;
    runtime: RuntimeDescription;
    /** Bytes of the weights as loaded. */
    sizeBytes: number;
    /** Whether a prompt that does not start with BOS gets one, per the model's tokenizer settings. */
    prependsBos: boolean;
};

export type SamplingParams = {
    temperature: number;
    topK: number;
    topP: number;
    minP: number;
    repeatPenalty: number;
    presencePenalty: number;
    frequencyPenalty: number;
    /** Always set: the service draws a random one when the request has none. */
    seed: number;
    /** How many of the last tokens the penalties look at (Ollama's repeat_last_n); default 64, 0: none. */
    repeatLastN?: number;
};

/**
 * Constrains generation. "json": output is one JSON value, as the GBNF `grammar` (entry rule `root`, from
 * jsonSchemaGrammar) allows. "toolCalls": output is one call (or, with `parallel`, several joined by
 * `separator`) between `open` and `close`, each written in the model family's own syntax as a tool's `before`
 * text, its JSON arguments as its `arguments` GBNF allows (entry rule `arguments`), then its `after` text.
 * When the grammar is complete, only end-of-generation tokens remain, so generation ends by itself.
 */
export type GrammarSpec =
    | { kind: "json"; grammar: string }
    | {
        kind: "toolCalls";
        tools: CallGrammar[];
        open: string;
        separator: string;
        close: string;
        parallel: boolean;
    };

/**
 * One tool's call in a grammar: its JSON arguments between `before` and `after`, or, for families that write each
 * argument on its own (XML-style parameters, Python keyword arguments), its `fields` joined by `fieldSeparator`
 * (required ones always, optional ones where the model writes them), each a value between the field's own texts:
 * as the field's GBNF allows (entry rule `field`): bare text (no `<` in it) for strings where the family writes them so, else JSON.
 */
export type CallGrammar =
    | {
        before: string;
        arguments: string;
        after: string;
        /** GBNF after `before` / after `after`, for what is not literal text (Mistral's optional nine-character ids). */
        beforeRule?: string;
        afterRule?: string;
    }
    | { before: string; after: string; fieldSeparator: string; fields: Array<{ before: string; after: string; grammar: string; optional: boolean }> };

/**
 * A grammar that applies from the first `trigger` the model writes outside its reasoning (`reasoning`: the markers
 * around it, and whether the prompt opened it).
 */
export type LazyGrammarSpec = {
    trigger: string;
    grammar: GrammarSpec;
    reasoning: { open: string; close: string; startsInside: boolean } | null;
};

export type GenerationParams = {
    /** Text to evaluate; special tokens in it (`<|im_start|>`) are parsed as such. */
    prompt: string;
    /** `null`: until end of generation or the context is full. */
    maxTokens: number | null;
    stop: string[];
    sampling: SamplingParams;
    grammar: GrammarSpec | null;
    /** Without `grammar`: a grammar that applies from the first `trigger` the model writes (tool_choice "auto"). */
    lazyGrammar: LazyGrammarSpec | null;
    /** Report each generated token's log-probability and this many alternatives; `null`: none. */
    logprobs: number | null;
    /** Added to the logits of these tokens (OpenAI's logit_bias); end-of-generation tokens cannot be biased. */
    logitBias: Array<[token: number, bias: number]>;
    /** Start from a sequence's cached prompt prefix when one matches (llama-server's cache_prompt). */
    reusePromptCache: boolean;
    /**
     * Send every token as it is generated (streaming). When false, only the first token is announced (for the
     * time to first token) and the text comes whole with "done": every message the server process handles while
     * the engine decodes slows the decode on a machine whose CPUs the engine keeps busy.
     */
    streamTokens: boolean;
    /**
     * Where the model's turn ends: tokens (by text) that end it besides the model's own end-of-generation tokens,
     * and tokens the binding takes for an end that are none for this model's family (gpt-oss's `<|end|>`).
     */
    turnEnd: { endTokens: string[]; notEndTokens: string[] };
    /** Keep control tokens (`[TOOL_CALLS]`, `<|channel|>`) in the text, for a family's parser to read. */
    keepControlTokens: boolean;
    /** Report how much of the prompt is evaluated, batch by batch, until the first token ("promptProgress"). */
    reportPromptProgress?: boolean;
};

/** A generated token's log-probability and its most likely alternatives. */
export type TokenLogprob = {
    token: string;
    logprob: number;
    top: Array<{ token: string; logprob: number }>;
};

/** Proposed tokens of a speculating generation and what became of them (LM Studio's draft stats). */
export type DraftCounts = {
    /** Proposed and verified. */
    drafted: number;
    /** Verified and used. */
    accepted: number;
    /** Verified to differ from what the model generates. */
    rejected: number;
    /** Verified but not used: the generation ended first. */
    ignored: number;
};

/** The abort reason with which a worker ends jobs when its model is unloaded. */
export const unloadAbortReason = "modelUnloaded";

export type StopReason =
    | "eosFound"
    | "stopStringFound"
    | "maxPredictedTokensReached"
    | "contextLengthReached"
    | "userStopped"
    | "modelUnloaded"
    | "failed";

/** How a generation ended, as the worker reports it. */
export type GenerationDone = {
    stopReason: StopReason;
    completionTokens: number;
    /** Without streaming, the whole text; with it, only what the stop-string detector still held back. */
    text: string;
    cachedTokens: number;
    logprobs: TokenLogprob[];
    /** Tokens generated after the cancel arrived (how promptly a client that left was let go); null if not cancelled. */
    tokensAfterCancel: number | null;
    /** The token that ended the turn (`<|call|>`, `<|eom_id|>`); null when something else ended it. */
    endToken: string | null;
    /** The stop string that ended the text (stop reason stopStringFound); null otherwise. */
    stopString: string | null;
    /** Speculative decoding's proposals; null when the generation did not speculate (none configured, or a grammar). */
    drafts: DraftCounts | null;
};

export type EngineFailureDescription =
    | { kind: "contextLengthExceeded"; promptTokens: number; contextLength: number }
    | { kind: "invalidToken"; token: number; vocabularySize: number }
    | { kind: "invalidGrammar"; message: string }
    | { kind: "engine"; message: string };

export type ToWorker =
    | { type: "estimate"; options: LoadOptions }
    | { type: "load"; options: LoadOptions }
    | { type: "generate"; id: number; params: GenerationParams }
    | { type: "embed"; id: number; inputs: string[] }
    /** `text` as the model's tokens, special tokens parsed; `addSpecial`: with BOS where the model adds it, as a prompt. */
    | { type: "tokenize"; id: number; text: string; addSpecial: boolean }
    | { type: "detokenize"; id: number; tokens: number[] }
    /** A reranker's relevance score (0 to 1) of each document for the query. */
    | { type: "rank"; id: number; query: string; documents: string[] }
    /** The worker's resident memory (GET /lmhost/status, where the OS does not tell the server). */
    | { type: "memoryUsage"; id: number }
    | { type: "cancel"; id: number }
    /** The job's reader is behind (the server holds many of its tokens): wait between tokens until "proceed". */
    | { type: "hold"; id: number }
    | { type: "proceed"; id: number }
    | { type: "shutdown"; savePromptStates: boolean };

export type FromWorker =
    | { type: "estimated"; estimate: ResourceEstimate }
    | { type: "loaded"; model: LoadedModelDescription }
    | { type: "loadFailed"; message: string }
    /** While loading: how much of the weights is read, 0 to 1. */
    | { type: "loadProgress"; progress: number }
    /** While a generation's prompt is evaluated: how many of its tokens to evaluate are. */
    | { type: "promptProgress"; id: number; evaluated: number; total: number }
    | { type: "accepted"; id: number; promptTokens: number }
    | { type: "token"; id: number; text: string; logprob?: TokenLogprob }
    | ({ type: "done"; id: number } & GenerationDone)
    | { type: "embedded"; id: number; vectors: number[][]; tokenCounts: number[] }
    | { type: "tokenized"; id: number; tokens: number[]; pieces: string[] }
    | { type: "detokenized"; id: number; text: string }
    | { type: "ranked"; id: number; scores: number[]; tokenCount: number }
    /** `process.memoryUsage.rss()` of the worker: the weights and contexts it holds in RAM, and the rest of it. */
    | { type: "memoryUsage"; id: number; rssBytes: number }
    | { type: "failed"; id: number; error: EngineFailureDescription };
