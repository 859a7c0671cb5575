import { Type, type Static } from "typebox";
import { SamplingFields } from "../sampling.js";
import { completionHeader, V0ChunkTotals, V0Totals } from "./common.js";

export const V0CompletionRequest = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    prompt: Type.String({ maxLength: 4_000_000 }),
    ...SamplingFields
});
export type V0CompletionRequest = Static<typeof V0CompletionRequest>;

export const V0CompletionResponse = Type.Object({
    ...completionHeader("text_completion"),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        text: Type.String(),
        logprobs: Type.Union([Type.Null(), Type.Object({})]),
        finish_reason: Type.String()
    }, { additionalProperties: false })),
    ...V0Totals
}, { additionalProperties: false });
export type V0CompletionResponse = Static<typeof V0CompletionResponse>;

export const V0CompletionChunk = Type.Object({
    ...completionHeader("text_completion"),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        text: Type.String(),
        logprobs: Type.Null(),
        finish_reason: Type.Union([Type.String(), Type.Null()])
    }, { additionalProperties: false })),
    ...V0ChunkTotals
}, { additionalProperties: false });
export type V0CompletionChunk = Static<typeof V0CompletionChunk>;
