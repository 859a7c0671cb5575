/**
 * Ollama's generation API (`POST /api/chat`, `/api/generate`, `/api/embed`, `/api/embeddings`), as Ollama's
 * `api/types.go` defines it: requests (unknown fields ignored, as Ollama's decoder does), answers and their NDJSON
 * stream objects. Durations are nanoseconds.
 */
import { Type, type Static } from "typebox";

const maxText = 4_000_000;

/** Ollama's `options`: those lmhost applies; the rest (num_gpu, mirostat, ...) are accepted and ignored. */
const Options = Type.Object({
    num_ctx: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: "The context length of a load this request starts." })),
    num_predict: Type.Optional(Type.Integer({ minimum: -2, maximum: 1_000_000, description: "Tokens to generate; -1 (default) or -2: until the end or the context is full." })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    min_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    repeat_penalty: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
    repeat_last_n: Type.Optional(Type.Integer({ minimum: -1, description: "Tokens the penalties look back on; 0: none, -1: the whole context. Default 64." })),
    presence_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    frequency_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    seed: Type.Optional(Type.Integer()),
    stop: Type.Optional(Type.Array(Type.String(), { maxItems: 16 }))
}, { description: "Model options; those not listed here are accepted and ignored." });

const KeepAlive = Type.Union([Type.String({ maxLength: 64 }), Type.Number()], {
    description: "How long the model stays loaded after this request: a duration (\"5m\", \"1h30m\", \"300ms\") or seconds; 0 unloads it after the request, a negative value keeps it loaded. Default: the server's JIT TTL."
});
const Format = Type.Union([Type.Literal("json"), Type.Literal(""), Type.Record(Type.String(), Type.Unknown())], {
    description: "\"json\" or a JSON Schema: the answer is JSON (that validates against the schema), held by a grammar."
});
const Think = Type.Union([Type.Boolean(), Type.Literal("low"), Type.Literal("medium"), Type.Literal("high")], {
    description: "Reasoning on (with the model's default effort or this level) or off; absent: the model's default. Reasoning comes back in `thinking`."
});

const ToolCall = Type.Object({
    id: Type.Optional(Type.String()),
    function: Type.Object({
        index: Type.Optional(Type.Integer()),
        name: Type.String({ maxLength: 256 }),
        arguments: Type.Record(Type.String(), Type.Unknown())
    })
});

const Message = Type.Object({
    role: Type.Union([Type.Literal("system"), Type.Literal("user"), Type.Literal("assistant"), Type.Literal("tool")]),
    content: Type.Optional(Type.String({ maxLength: maxText })),
    thinking: Type.Optional(Type.String({ maxLength: maxText })),
    images: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], { description: "Refused until lmhost reads images." })),
    tool_calls: Type.Optional(Type.Array(ToolCall, { maxItems: 128 })),
    tool_name: Type.Optional(Type.String({ maxLength: 256 }))
});
export type OllamaMessage = Static<typeof Message>;

const Tool = Type.Object({
    type: Type.Optional(Type.String()),
    function: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 256 }),
        description: Type.Optional(Type.String({ maxLength: 100_000 })),
        parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
    })
});

const Common = {
    model: Type.String({ minLength: 1, maxLength: 1024, description: "An Ollama name (name:tag) or a catalog model id." }),
    stream: Type.Optional(Type.Boolean({ description: "NDJSON stream (the default, as Ollama's); false: one JSON answer." })),
    format: Type.Optional(Format),
    keep_alive: Type.Optional(KeepAlive),
    think: Type.Optional(Think),
    options: Type.Optional(Options)
};

export const OllamaChatRequest = Type.Object({
    ...Common,
    messages: Type.Optional(Type.Array(Message, { maxItems: 100_000, description: "None: the model is only loaded (or unloaded, with keep_alive 0)." })),
    tools: Type.Optional(Type.Array(Tool, { maxItems: 512 }))
});
export type OllamaChatRequest = Static<typeof OllamaChatRequest>;

export const OllamaGenerateRequest = Type.Object({
    ...Common,
    prompt: Type.Optional(Type.String({ maxLength: maxText, description: "None or empty: the model is only loaded (or unloaded, with keep_alive 0)." })),
    system: Type.Optional(Type.String({ maxLength: maxText })),
    raw: Type.Optional(Type.Boolean({ description: "The prompt as is, without the chat template." })),
    suffix: Type.Optional(Type.String({ description: "Fill-in-the-middle: refused unless empty." })),
    template: Type.Optional(Type.String({ description: "A Go template overriding the model's: refused unless empty (lmhost renders the model's Jinja template)." })),
    context: Type.Optional(Type.Array(Type.Integer(), { description: "Deprecated token context of an earlier answer: refused unless empty (send the conversation to /api/chat)." })),
    images: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], { description: "Refused until lmhost reads images." }))
});
export type OllamaGenerateRequest = Static<typeof OllamaGenerateRequest>;

const Metrics = {
    total_duration: Type.Optional(Type.Integer({ description: "Nanoseconds from the request's arrival to the answer's end." })),
    load_duration: Type.Optional(Type.Integer({ description: "Nanoseconds spent loading the model for this request." })),
    prompt_eval_count: Type.Optional(Type.Integer()),
    prompt_eval_duration: Type.Optional(Type.Integer()),
    eval_count: Type.Optional(Type.Integer()),
    eval_duration: Type.Optional(Type.Integer())
};
const DoneReason = Type.Union([Type.Literal("stop"), Type.Literal("length"), Type.Literal("load"), Type.Literal("unload")]);

const AnswerMessage = Type.Object({
    role: Type.Literal("assistant"),
    content: Type.String(),
    thinking: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(ToolCall))
});

/** The answer, and each object of its stream (`done: false` with a piece of the message; the last `done: true` with the metrics). */
export const OllamaChatResponse = Type.Object({
    model: Type.String(),
    created_at: Type.String({ format: "date-time" }),
    message: AnswerMessage,
    done: Type.Boolean(),
    done_reason: Type.Optional(DoneReason),
    ...Metrics
});
export type OllamaChatResponse = Static<typeof OllamaChatResponse>;

export const OllamaGenerateResponse = Type.Object({
    model: Type.String(),
    created_at: Type.String({ format: "date-time" }),
    response: Type.String(),
    thinking: Type.Optional(Type.String()),
    done: Type.Boolean(),
    done_reason: Type.Optional(DoneReason),
    ...Metrics
});
export type OllamaGenerateResponse = Static<typeof OllamaGenerateResponse>;

export const OllamaEmbedRequest = Type.Object({
    model: Common.model,
    input: Type.Union([Type.String({ maxLength: maxText }), Type.Array(Type.String({ maxLength: maxText }), { minItems: 1, maxItems: 2048 })]),
    truncate: Type.Optional(Type.Boolean({ description: "Inputs beyond the context are refused either way (lmhost does not cut them)." })),
    dimensions: Type.Optional(Type.Integer({ minimum: 1, description: "Must be the model's own vector length." })),
    keep_alive: Type.Optional(KeepAlive),
    options: Type.Optional(Options)
});
export type OllamaEmbedRequest = Static<typeof OllamaEmbedRequest>;

export const OllamaEmbedResponse = Type.Object({
    model: Type.String(),
    embeddings: Type.Array(Type.Array(Type.Number())),
    total_duration: Type.Integer(),
    load_duration: Type.Integer(),
    prompt_eval_count: Type.Integer()
});

export const OllamaEmbeddingsRequest = Type.Object({
    model: Common.model,
    prompt: Type.String({ maxLength: maxText }),
    keep_alive: Type.Optional(KeepAlive),
    options: Type.Optional(Options)
});
export type OllamaEmbeddingsRequest = Static<typeof OllamaEmbeddingsRequest>;

export const OllamaEmbeddingsResponse = Type.Object({ embedding: Type.Array(Type.Number()) });
