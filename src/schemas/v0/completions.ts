import { Type, type Static } from "typebox";
import { CompletionLogprobs } from "../logprobs.js";
import { completionHeader } from "../completionHeader.js";
import { V0ChunkTotals, V0Totals } from "./common.js";

export const V0CompletionResponse = Type.Object({
    ...completionHeader("text_completion"),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        text: Type.String(),
        logprobs: Type.Union([Type.Null(), CompletionLogprobs]),
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
        logprobs: Type.Union([Type.Null(), CompletionLogprobs]),
        finish_reason: Type.Union([Type.String(), Type.Null()])
    }, { additionalProperties: false })),
    ...V0ChunkTotals
}, { additionalProperties: false });
export type V0CompletionChunk = Static<typeof V0CompletionChunk>;
