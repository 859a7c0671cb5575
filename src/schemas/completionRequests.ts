/** The chat and text completion requests, shared by LM Studio's v0 API and the OpenAI-compatible API. */
import { Type, type Static } from "typebox";
import { ChatLogprobFields } from "./logprobs.js";
import { ChatMessage } from "./messages.js";
import { ReasoningFields } from "./reasoning.js";
import { ResponseFormat } from "./responseFormat.js";
import { SamplingFields } from "./sampling.js";
import { ToolFields } from "./tools.js";

export const ChatCompletionRequest = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    messages: Type.Array(ChatMessage, { minItems: 1, maxItems: 10_000 }),
    ...SamplingFields,
    ...ToolFields,
    ...ChatLogprobFields,
    ...ReasoningFields,
    response_format: Type.Optional(ResponseFormat)
});
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>;

export const TextCompletionRequest = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    prompt: Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Array(Type.String({ maxLength: 4_000_000 }), { minItems: 1, maxItems: 1 })],
        { description: "One prompt (a string, or an array holding one string)." }),
    ...SamplingFields,
    logprobs: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 20 }), Type.Null()],
        { description: "Report each token's log-probability and this many alternatives." })),
    echo: Type.Optional(Type.Literal(false, { description: "Echoing the prompt is not supported." })),
    suffix: Type.Optional(Type.Null({ description: "Insertion (suffix) is not supported." })),
    best_of: Type.Optional(Type.Integer({ minimum: 1, maximum: 1 })),
    response_format: Type.Optional(ResponseFormat)
});
export type TextCompletionRequest = Static<typeof TextCompletionRequest>;
