import { Type, type Static } from "typebox";
import { CompletionLogprobs } from "../logprobs.js";
import { completionHeader } from "../completionHeader.js";
import { OpenAiUsage } from "./usage.js";

const Choice = Type.Object({
    index: Type.Integer(),
    text: Type.String(),
    logprobs: Type.Union([Type.Null(), CompletionLogprobs]),
    finish_reason: Type.Union([Type.String(), Type.Null()])
}, { additionalProperties: false });

export const OpenAiCompletionResponse = Type.Object({
    ...completionHeader("text_completion"),
    system_fingerprint: Type.String(),
    choices: Type.Array(Choice),
    usage: OpenAiUsage
}, { additionalProperties: false });
export type OpenAiCompletionResponse = Static<typeof OpenAiCompletionResponse>;

export const OpenAiCompletionChunk = Type.Object({
    ...completionHeader("text_completion"),
    system_fingerprint: Type.String(),
    choices: Type.Array(Choice),
    usage: Type.Optional(Type.Union([OpenAiUsage, Type.Null()]))
}, { additionalProperties: false });
export type OpenAiCompletionChunk = Static<typeof OpenAiCompletionChunk>;
