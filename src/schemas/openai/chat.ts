import { Type, type Static } from "typebox";
import { ChatLogprobs } from "../logprobs.js";
import { ToolCall, ToolCallDelta } from "../tools.js";
import { completionHeader } from "../completionHeader.js";
import { LlamaServerTimings, OpenAiUsage } from "./usage.js";

export const OpenAiChatResponse = Type.Object({
    ...completionHeader("chat.completion"),
    system_fingerprint: Type.String(),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        message: Type.Object({
            role: Type.Literal("assistant"),
            content: Type.Union([Type.String(), Type.Null()]),
            reasoning_content: Type.Optional(Type.String()),
            tool_calls: Type.Optional(Type.Array(ToolCall)),
            refusal: Type.Null()
        }, { additionalProperties: false }),
        logprobs: Type.Union([Type.Null(), ChatLogprobs]),
        finish_reason: Type.String()
    }, { additionalProperties: false })),
    usage: OpenAiUsage,
    timings: LlamaServerTimings
}, { additionalProperties: false });
export type OpenAiChatResponse = Static<typeof OpenAiChatResponse>;

export const OpenAiChatChunk = Type.Object({
    ...completionHeader("chat.completion.chunk"),
    system_fingerprint: Type.String(),
    choices: Type.Array(Type.Object({
        index: Type.Integer(),
        delta: Type.Object({
            role: Type.Optional(Type.Literal("assistant")),
            content: Type.Optional(Type.String()),
            reasoning_content: Type.Optional(Type.String()),
            tool_calls: Type.Optional(Type.Array(ToolCallDelta))
        }, { additionalProperties: false }),
        logprobs: Type.Union([Type.Null(), ChatLogprobs]),
        finish_reason: Type.Union([Type.String(), Type.Null()])
    }, { additionalProperties: false })),
    usage: Type.Optional(Type.Union([OpenAiUsage, Type.Null()])),
    timings: Type.Optional(LlamaServerTimings)
}, { additionalProperties: false });
export type OpenAiChatChunk = Static<typeof OpenAiChatChunk>;
