/**
 * Anthropic's Messages API (`POST /v1/messages`, `POST /v1/messages/count_tokens`): requests, the message, its
 * stream's events and its errors, as Anthropic's API reference defines them.
 */
import { Type, type Static } from "typebox";

const TextBlockParam = Type.Object({
    type: Type.Literal("text"),
    text: Type.String({ maxLength: 4_000_000 }),
    cache_control: Type.Optional(Type.Unknown({ description: "Accepted; lmhost's prompt cache works on its own." })),
    citations: Type.Optional(Type.Unknown())
});

/** Blocks a request may carry. Images and documents are refused with a clear 400 until vision exists. */
const ContentBlockParam = Type.Union([
    TextBlockParam,
    Type.Object({ type: Type.Literal("image"), source: Type.Unknown(), cache_control: Type.Optional(Type.Unknown()) }),
    Type.Object({ type: Type.Literal("document"), source: Type.Unknown(), cache_control: Type.Optional(Type.Unknown()) }),
    Type.Object({
        type: Type.Literal("tool_use"), id: Type.String({ maxLength: 256 }), name: Type.String({ minLength: 1, maxLength: 256 }),
        input: Type.Record(Type.String(), Type.Unknown()), cache_control: Type.Optional(Type.Unknown())
    }),
    Type.Object({
        type: Type.Literal("tool_result"), tool_use_id: Type.String({ maxLength: 256 }),
        content: Type.Optional(Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Array(Type.Union([
            TextBlockParam,
            Type.Object({ type: Type.Literal("image"), source: Type.Unknown() })
        ]), { maxItems: 1000 })])),
        is_error: Type.Optional(Type.Boolean()), cache_control: Type.Optional(Type.Unknown())
    }),
    Type.Object({ type: Type.Literal("thinking"), thinking: Type.String({ maxLength: 4_000_000 }), signature: Type.Optional(Type.String()) }),
    Type.Object({ type: Type.Literal("redacted_thinking"), data: Type.String() })
]);
export type AnthropicContentBlockParam = Static<typeof ContentBlockParam>;

const MessageParam = Type.Object({
    role: Type.Union([Type.Literal("user"), Type.Literal("assistant")]),
    content: Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Array(ContentBlockParam, { maxItems: 10_000 })])
});
export type AnthropicMessageParam = Static<typeof MessageParam>;

const Tool = Type.Object({
    name: Type.String({ minLength: 1, maxLength: 128, pattern: "^[a-zA-Z0-9_-]{1,128}$" }),
    description: Type.Optional(Type.String({ maxLength: 100_000 })),
    input_schema: Type.Record(Type.String(), Type.Unknown()),
    type: Type.Optional(Type.Literal("custom")),
    cache_control: Type.Optional(Type.Unknown())
});

const ToolChoice = Type.Union([
    Type.Object({ type: Type.Literal("auto"), disable_parallel_tool_use: Type.Optional(Type.Boolean()) }),
    Type.Object({ type: Type.Literal("any"), disable_parallel_tool_use: Type.Optional(Type.Boolean()) }),
    Type.Object({ type: Type.Literal("tool"), name: Type.String({ minLength: 1 }), disable_parallel_tool_use: Type.Optional(Type.Boolean()) }),
    Type.Object({ type: Type.Literal("none") })
]);

const Thinking = Type.Union([
    Type.Object({
        type: Type.Literal("enabled"),
        budget_tokens: Type.Integer({ minimum: 1, description: "Picks the reasoning effort: under 4,096 low, under 16,384 medium, else high." })
    }),
    Type.Object({ type: Type.Literal("disabled") })
]);

const SystemPrompt = Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Array(TextBlockParam, { maxItems: 1000 })]);

/** What both routes read of a conversation. */
const ConversationFields = {
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    messages: Type.Array(MessageParam, { minItems: 1, maxItems: 10_000 }),
    system: Type.Optional(SystemPrompt),
    tools: Type.Optional(Type.Array(Tool, { maxItems: 256 })),
    tool_choice: Type.Optional(ToolChoice),
    thinking: Type.Optional(Thinking)
};

export const AnthropicMessagesRequest = Type.Object({
    ...ConversationFields,
    max_tokens: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    stop_sequences: Type.Optional(Type.Array(Type.String(), { maxItems: 16 })),
    stream: Type.Optional(Type.Boolean()),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    metadata: Type.Optional(Type.Object({ user_id: Type.Optional(Type.Union([Type.String(), Type.Null()])) })),
    service_tier: Type.Optional(Type.String()),
    container: Type.Optional(Type.Unknown()),
    mcp_servers: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 0, description: "MCP servers are not supported." }))
});
export type AnthropicMessagesRequest = Static<typeof AnthropicMessagesRequest>;

export const AnthropicCountTokensRequest = Type.Object(ConversationFields);
export type AnthropicCountTokensRequest = Static<typeof AnthropicCountTokensRequest>;
export const AnthropicCountTokensResponse = Type.Object({ input_tokens: Type.Integer() });

const TextBlock = Type.Object({ type: Type.Literal("text"), text: Type.String(), citations: Type.Null() });
const ThinkingBlock = Type.Object({
    type: Type.Literal("thinking"), thinking: Type.String(),
    signature: Type.String({ description: "Empty: local reasoning carries no signature." })
});
const ToolUseBlock = Type.Object({ type: Type.Literal("tool_use"), id: Type.String(), name: Type.String(), input: Type.Record(Type.String(), Type.Unknown()) });
export const AnthropicContentBlock = Type.Union([TextBlock, ThinkingBlock, ToolUseBlock]);
export type AnthropicContentBlock = Static<typeof AnthropicContentBlock>;

export const AnthropicStopReason = Type.Union([Type.Literal("end_turn"), Type.Literal("max_tokens"), Type.Literal("stop_sequence"), Type.Literal("tool_use")]);

export const AnthropicUsage = Type.Object({
    input_tokens: Type.Integer({ description: "Prompt tokens evaluated (not read from the prompt cache)." }),
    output_tokens: Type.Integer(),
    cache_creation_input_tokens: Type.Integer(),
    cache_read_input_tokens: Type.Integer({ description: "Prompt tokens reused from the prompt cache." })
});
export type AnthropicUsage = Static<typeof AnthropicUsage>;

export const AnthropicMessage = Type.Object({
    id: Type.String(),
    type: Type.Literal("message"),
    role: Type.Literal("assistant"),
    model: Type.String(),
    content: Type.Array(AnthropicContentBlock),
    stop_reason: Type.Union([AnthropicStopReason, Type.Null()]),
    stop_sequence: Type.Union([Type.String(), Type.Null()]),
    usage: AnthropicUsage
});
export type AnthropicMessage = Static<typeof AnthropicMessage>;

/** The events of a stream, each sent as `event: <type>` and `data: <json>`. */
export const AnthropicStreamEvent = Type.Union([
    Type.Object({ type: Type.Literal("message_start"), message: AnthropicMessage }),
    Type.Object({
        type: Type.Literal("content_block_start"), index: Type.Integer(),
        content_block: Type.Union([TextBlock, ThinkingBlock, ToolUseBlock])
    }),
    Type.Object({
        type: Type.Literal("content_block_delta"), index: Type.Integer(),
        delta: Type.Union([
            Type.Object({ type: Type.Literal("text_delta"), text: Type.String() }),
            Type.Object({ type: Type.Literal("thinking_delta"), thinking: Type.String() }),
            Type.Object({ type: Type.Literal("signature_delta"), signature: Type.String() }),
            Type.Object({ type: Type.Literal("input_json_delta"), partial_json: Type.String() })
        ])
    }),
    Type.Object({ type: Type.Literal("content_block_stop"), index: Type.Integer() }),
    Type.Object({
        type: Type.Literal("message_delta"),
        delta: Type.Object({ stop_reason: Type.Union([AnthropicStopReason, Type.Null()]), stop_sequence: Type.Union([Type.String(), Type.Null()]) }),
        usage: Type.Object({ output_tokens: Type.Integer(), input_tokens: Type.Integer(), cache_read_input_tokens: Type.Integer() })
    }),
    Type.Object({ type: Type.Literal("message_stop") }),
    Type.Object({ type: Type.Literal("ping") })
]);
export type AnthropicStreamEvent = Static<typeof AnthropicStreamEvent>;

export const AnthropicError = Type.Object({
    type: Type.Literal("error"),
    error: Type.Object({ type: Type.String({ description: "invalid_request_error, authentication_error, not_found_error, request_too_large, rate_limit_error, api_error or overloaded_error." }), message: Type.String() })
});
export type AnthropicError = Static<typeof AnthropicError>;
