/**
 * OpenAI's Responses API (`/v1/responses`): the request, the response object, its output items and the events of
 * its stream, as OpenAI's API reference defines them (the subset lmhost serves: function tools, text formats,
 * reasoning, stored responses).
 */
import { Type, type Static } from "typebox";
import { ReasoningEffort } from "../reasoning.js";

const TextPart = Type.Object({ type: Type.Union([Type.Literal("input_text"), Type.Literal("output_text")]), text: Type.String({ maxLength: 4_000_000 }) });
const MessageItem = Type.Object({
    type: Type.Optional(Type.Literal("message")),
    id: Type.Optional(Type.String()),
    role: Type.Union([Type.Literal("user"), Type.Literal("assistant"), Type.Literal("system"), Type.Literal("developer")]),
    content: Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Array(Type.Union([
        TextPart,
        Type.Object({ type: Type.Literal("input_image") }),
        Type.Object({ type: Type.Literal("input_file") })
    ]), { maxItems: 1000 })]),
    status: Type.Optional(Type.String())
});
const FunctionCallItem = Type.Object({
    type: Type.Literal("function_call"), id: Type.Optional(Type.String()), call_id: Type.String({ maxLength: 256 }),
    name: Type.String({ minLength: 1, maxLength: 256 }), arguments: Type.String({ maxLength: 4_000_000 }), status: Type.Optional(Type.String())
});
const FunctionCallOutputItem = Type.Object({
    type: Type.Literal("function_call_output"), id: Type.Optional(Type.String()), call_id: Type.String({ maxLength: 256 }),
    output: Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Array(TextPart, { maxItems: 1000 })]), status: Type.Optional(Type.String())
});
const ReasoningItemParam = Type.Object({
    type: Type.Literal("reasoning"), id: Type.Optional(Type.String()),
    summary: Type.Optional(Type.Array(Type.Object({ type: Type.String(), text: Type.String() }))),
    content: Type.Optional(Type.Array(Type.Object({ type: Type.String(), text: Type.String() }))),
    encrypted_content: Type.Optional(Type.Union([Type.String(), Type.Null()]))
});
export const ResponseInputItem = Type.Union([MessageItem, FunctionCallItem, FunctionCallOutputItem, ReasoningItemParam]);
export type ResponseInputItem = Static<typeof ResponseInputItem>;

const FunctionTool = Type.Object({
    type: Type.Literal("function"), name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 100_000 }), Type.Null()])),
    parameters: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()]))
});

const ToolChoice = Type.Union([
    Type.Literal("auto"), Type.Literal("none"), Type.Literal("required"),
    Type.Object({ type: Type.Literal("function"), name: Type.String({ minLength: 1 }) })
]);

export const TextFormat = Type.Union([
    Type.Object({ type: Type.Literal("text") }),
    Type.Object({ type: Type.Literal("json_object") }),
    Type.Object({
        type: Type.Literal("json_schema"), name: Type.String({ maxLength: 256 }), schema: Type.Record(Type.String(), Type.Unknown()),
        description: Type.Optional(Type.String()), strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()]))
    })
]);

/** What both the create and the input-token routes read. */
const ConversationFields = {
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    input: Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Array(ResponseInputItem, { maxItems: 10_000 })]),
    instructions: Type.Optional(Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Null()])),
    tools: Type.Optional(Type.Array(FunctionTool, { maxItems: 512 })),
    tool_choice: Type.Optional(ToolChoice),
    parallel_tool_calls: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    previous_response_id: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
    reasoning: Type.Optional(Type.Union([Type.Object({
        effort: Type.Optional(Type.Union([ReasoningEffort, Type.Null()])),
        summary: Type.Optional(Type.Union([Type.String(), Type.Null()]))
    }), Type.Null()])),
    text: Type.Optional(Type.Object({ format: Type.Optional(TextFormat), verbosity: Type.Optional(Type.Union([Type.String(), Type.Null()])) }))
};

export const CreateResponseRequest = Type.Object({
    ...ConversationFields,
    max_output_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    store: Type.Optional(Type.Union([Type.Boolean(), Type.Null()], { description: "Keep the response for retrieval and previous_response_id (default true)." })),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
    user: Type.Optional(Type.String()),
    truncation: Type.Optional(Type.Union([Type.Literal("disabled"), Type.Null()])),
    include: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    service_tier: Type.Optional(Type.Union([Type.String(), Type.Null()]))
});
export type CreateResponseRequest = Static<typeof CreateResponseRequest>;

export const InputTokensRequest = Type.Object(ConversationFields);
export type InputTokensRequest = Static<typeof InputTokensRequest>;
export const InputTokensResponse = Type.Object({ object: Type.Literal("response.input_tokens"), input_tokens: Type.Integer() });

const OutputText = Type.Object({ type: Type.Literal("output_text"), text: Type.String(), annotations: Type.Array(Type.Unknown()), logprobs: Type.Array(Type.Unknown()) });
const OutputMessage = Type.Object({
    type: Type.Literal("message"), id: Type.String(), status: Type.String(), role: Type.Literal("assistant"), content: Type.Array(OutputText)
});
const OutputFunctionCall = Type.Object({
    type: Type.Literal("function_call"), id: Type.String(), call_id: Type.String(), name: Type.String(), arguments: Type.String(), status: Type.String()
});
const OutputReasoning = Type.Object({
    type: Type.Literal("reasoning"), id: Type.String(), summary: Type.Array(Type.Unknown()),
    content: Type.Array(Type.Object({ type: Type.Literal("reasoning_text"), text: Type.String() }))
});
export const ResponseOutputItem = Type.Union([OutputMessage, OutputFunctionCall, OutputReasoning]);
export type ResponseOutputItem = Static<typeof ResponseOutputItem>;

export const ResponseObject = Type.Object({
    id: Type.String(),
    object: Type.Literal("response"),
    created_at: Type.Integer(),
    status: Type.Union([Type.Literal("completed"), Type.Literal("incomplete"), Type.Literal("in_progress"), Type.Literal("failed")]),
    error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
    incomplete_details: Type.Union([Type.Object({ reason: Type.String() }), Type.Null()]),
    instructions: Type.Union([Type.String(), Type.Null()]),
    max_output_tokens: Type.Union([Type.Integer(), Type.Null()]),
    model: Type.String(),
    output: Type.Array(ResponseOutputItem),
    parallel_tool_calls: Type.Boolean(),
    previous_response_id: Type.Union([Type.String(), Type.Null()]),
    reasoning: Type.Object({ effort: Type.Union([Type.String(), Type.Null()]), summary: Type.Null() }),
    store: Type.Boolean(),
    temperature: Type.Union([Type.Number(), Type.Null()]),
    text: Type.Object({ format: TextFormat }),
    tool_choice: Type.Unknown(),
    tools: Type.Array(Type.Unknown()),
    top_p: Type.Union([Type.Number(), Type.Null()]),
    truncation: Type.Literal("disabled"),
    usage: Type.Union([Type.Object({
        input_tokens: Type.Integer(),
        input_tokens_details: Type.Object({ cached_tokens: Type.Integer() }),
        output_tokens: Type.Integer(),
        output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer({ description: "Not counted apart: 0." }) }),
        total_tokens: Type.Integer()
    }), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String())
});
export type ResponseObject = Static<typeof ResponseObject>;

export const DeletedResponse = Type.Object({ id: Type.String(), object: Type.Literal("response"), deleted: Type.Literal(true) });
export const InputItemList = Type.Object({
    object: Type.Literal("list"),
    data: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    first_id: Type.Union([Type.String(), Type.Null()]),
    last_id: Type.Union([Type.String(), Type.Null()]),
    has_more: Type.Boolean()
});

const located = { output_index: Type.Integer(), item_id: Type.String() };
const inPart = { ...located, content_index: Type.Integer() };
/** The events of a stream, each `event: <type>` and `data: <json>`, numbered by `sequence_number`. */
export const ResponseStreamEvent = Type.Union([
    Type.Object({ type: Type.Union([Type.Literal("response.created"), Type.Literal("response.in_progress"), Type.Literal("response.completed"), Type.Literal("response.incomplete")]),
        sequence_number: Type.Integer(), response: ResponseObject }),
    Type.Object({ type: Type.Union([Type.Literal("response.output_item.added"), Type.Literal("response.output_item.done")]), sequence_number: Type.Integer(),
        output_index: Type.Integer(), item: ResponseOutputItem }),
    Type.Object({ type: Type.Union([Type.Literal("response.content_part.added"), Type.Literal("response.content_part.done")]), sequence_number: Type.Integer(),
        ...inPart, part: Type.Union([OutputText, Type.Object({ type: Type.Literal("reasoning_text"), text: Type.String() })]) }),
    Type.Object({ type: Type.Union([Type.Literal("response.output_text.delta"), Type.Literal("response.reasoning_text.delta")]), sequence_number: Type.Integer(),
        ...inPart, delta: Type.String(), logprobs: Type.Optional(Type.Array(Type.Unknown())) }),
    Type.Object({ type: Type.Union([Type.Literal("response.output_text.done"), Type.Literal("response.reasoning_text.done")]), sequence_number: Type.Integer(),
        ...inPart, text: Type.String(), logprobs: Type.Optional(Type.Array(Type.Unknown())) }),
    Type.Object({ type: Type.Literal("response.function_call_arguments.delta"), sequence_number: Type.Integer(), ...located, delta: Type.String() }),
    Type.Object({ type: Type.Literal("response.function_call_arguments.done"), sequence_number: Type.Integer(), ...located, name: Type.String(), arguments: Type.String() })
]);
export type ResponseStreamEvent = Static<typeof ResponseStreamEvent>;
