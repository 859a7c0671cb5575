import { Type, type Static } from "typebox";
import { SamplingFields } from "../sampling.js";
import { CompletionUsage, ModelInfo, Runtime, Stats } from "./common.js";

export const V0CompletionRequest = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    prompt: Type.String({ maxLength: 4_000_000 }),
    ...SamplingFields
});
export type V0CompletionRequest = Static<typeof V0CompletionRequest>;

export const V0CompletionResponse = Type.Object({
    id: Type.String(),
    object: Type.Literal("text_completion"),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        text: Type.String(),
        logprobs: Type.Union([Type.Null(), Type.Object({})]),
        finish_reason: Type.String()
    }, { additionalProperties: false })),
    usage: CompletionUsage,
    stats: Stats,
    model_info: ModelInfo,
    runtime: Runtime
}, { additionalProperties: false });
export type V0CompletionResponse = Static<typeof V0CompletionResponse>;

export const V0CompletionChunk = Type.Object({
    id: Type.String(),
    object: Type.Literal("text_completion"),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        text: Type.String(),
        logprobs: Type.Null(),
        finish_reason: Type.Union([Type.String(), Type.Null()])
    }, { additionalProperties: false })),
    usage: Type.Optional(CompletionUsage),
    stats: Type.Optional(Stats),
    model_info: Type.Optional(ModelInfo),
    runtime: Type.Optional(Runtime)
}, { additionalProperties: false });
export type V0CompletionChunk = Static<typeof V0CompletionChunk>;
