/** Log-probabilities of generated tokens, in OpenAI's chat and legacy completion shapes. */
import { Type, type Static } from "typebox";

const TopLogprob = Type.Object({
    token: Type.String(),
    logprob: Type.Number(),
    bytes: Type.Union([Type.Array(Type.Integer()), Type.Null()])
}, { additionalProperties: false });

export const ChatLogprobs = Type.Object({
    content: Type.Array(Type.Object({
        token: Type.String(),
        logprob: Type.Number(),
        bytes: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
        top_logprobs: Type.Array(TopLogprob)
    }, { additionalProperties: false })),
    refusal: Type.Null()
}, { additionalProperties: false });
export type ChatLogprobs = Static<typeof ChatLogprobs>;

export const CompletionLogprobs = Type.Object({
    tokens: Type.Array(Type.String()),
    token_logprobs: Type.Array(Type.Number()),
    top_logprobs: Type.Array(Type.Record(Type.String(), Type.Number())),
    text_offset: Type.Array(Type.Integer())
}, { additionalProperties: false });
export type CompletionLogprobs = Static<typeof CompletionLogprobs>;

export const ChatLogprobFields = {
    logprobs: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    top_logprobs: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 20 }), Type.Null()]))
};
