import { Type, type Static } from "typebox";
import { ChatLogprobs } from "../logprobs.js";
import { completionHeader } from "../completionHeader.js";
import { V0ChunkTotals, V0Totals } from "./common.js";

export const V0ChatResponse = Type.Object({
    ...completionHeader("chat.completion"),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        logprobs: Type.Union([Type.Null(), ChatLogprobs]),
        finish_reason: Type.String(),
        message: Type.Object({
            role: Type.String(),
            content: Type.String()
        }, { additionalProperties: false })
    }, { additionalProperties: false })),
    ...V0Totals
}, { additionalProperties: false });
export type V0ChatResponse = Static<typeof V0ChatResponse>;

/** A streamed piece: one per generated token, then one with finish_reason, then one with empty choices and the totals. */
export const V0ChatChunk = Type.Object({
    ...completionHeader("chat.completion.chunk"),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        delta: Type.Object({
            role: Type.Optional(Type.String()),
            content: Type.Optional(Type.String())
        }, { additionalProperties: false }),
        logprobs: Type.Union([Type.Null(), ChatLogprobs]),
        finish_reason: Type.Union([Type.String(), Type.Null()])
    }, { additionalProperties: false })),
    ...V0ChunkTotals
}, { additionalProperties: false });
export type V0ChatChunk = Static<typeof V0ChatChunk>;
