/**
 * Request fields shared by chat and text completions on every API surface: sampling, limits and streaming.
 * LM Studio's defaults (temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, repeat_penalty 1.1) are applied
 * by the inference service, not here, so each API documents absence the same way.
 */
import { Type } from "typebox";

export const StopSequences = Type.Union([
    Type.String(),
    Type.Array(Type.String(), { maxItems: 16 })
], { description: "Text that ends generation; it is not included in the output." });

export const SamplingFields = {
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: "Default 0.8." })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "Default 0.95." })),
    top_k: Type.Optional(Type.Integer({ minimum: 0, description: "0 disables; default 40." })),
    min_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "Default 0.05." })),
    repeat_penalty: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10, description: "1 disables; default 1.1." })),
    presence_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    frequency_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    seed: Type.Optional(Type.Integer({ description: "Same seed, same output. Without one, each request gets a fresh random seed." })),
    stop: Type.Optional(StopSequences),
    max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: -1, maximum: 1_000_000 }), Type.Null()],
        { description: "-1, null or absent: until end of sequence or context." })),
    max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: -1, maximum: 1_000_000 }), Type.Null()],
        { description: "OpenAI's newer name for max_tokens; wins when both are given." })),
    logit_bias: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()],
        { description: "Token id -> bias from -100 to 100 added to its logit. End-of-generation tokens cannot be biased." })),
    stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()])),
    stream: Type.Optional(Type.Boolean()),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 1, description: "Only 1 choice is supported." })),
    ttl: Type.Optional(Type.Integer({ minimum: 1, description: "Idle seconds before a model this request loads is unloaded." })),
    cache_prompt: Type.Optional(Type.Boolean({ description: "Reuse the cached prefix of an earlier prompt (default true), as llama-server does." })),
    draft_model: Type.Optional(Type.String({
        minLength: 1, maxLength: 1024,
        description: "Speculative decoding with this draft model (same vocabulary), as in LM Studio: a load this request starts loads the draft too; a loaded model must have been loaded with it."
    }))
};
