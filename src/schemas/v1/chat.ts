/** LM Studio 0.4's native chat route, `POST /api/v1/chat`, and its stream's events (LM Studio's REST v1 docs). */
import { Type, type Static } from "typebox";

export const V1ChatRequest = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    input: Type.Union([Type.String({ maxLength: 4_000_000 }), Type.Array(Type.Object({
        type: Type.Optional(Type.Literal("message")),
        role: Type.Optional(Type.Union([Type.Literal("user"), Type.Literal("assistant"), Type.Literal("system")])),
        content: Type.String({ maxLength: 4_000_000 })
    }), { minItems: 1, maxItems: 10_000 })], { description: "A message, or message items (role user by default)." }),
    system_prompt: Type.Optional(Type.String({ maxLength: 4_000_000 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    min_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    repeat_penalty: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
    max_output_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    reasoning: Type.Optional(Type.Enum(["off", "low", "medium", "high", "on"], { description: "off turns thinking off where the template can; on is high." })),
    context_length: Type.Optional(Type.Integer({ minimum: 32, maximum: 10_000_000, description: "The context length of a load this request starts." })),
    store: Type.Optional(Type.Boolean({ description: "Keep the conversation for previous_response_id (default true)." })),
    previous_response_id: Type.Optional(Type.String({ maxLength: 256 })),
    stream: Type.Optional(Type.Boolean()),
    integrations: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 64, description: "MCP servers and plugins are not supported: any integration is a 400." }))
});
export type V1ChatRequest = Static<typeof V1ChatRequest>;

export const V1ChatOutputItem = Type.Union([
    Type.Object({ type: Type.Literal("message"), content: Type.String() }),
    Type.Object({ type: Type.Literal("reasoning"), content: Type.String() })
]);

export const V1ChatResponse = Type.Object({
    model_instance_id: Type.String(),
    output: Type.Array(V1ChatOutputItem),
    stats: Type.Object({
        input_tokens: Type.Integer(),
        total_output_tokens: Type.Integer(),
        reasoning_output_tokens: Type.Integer({ description: "Not counted apart: 0." }),
        tokens_per_second: Type.Number(),
        time_to_first_token_seconds: Type.Number(),
        model_load_time_seconds: Type.Optional(Type.Number({ description: "Present when this request loaded the model." }))
    }),
    response_id: Type.Optional(Type.String({ description: "For previous_response_id; present when store is true." }))
});
export type V1ChatResponse = Static<typeof V1ChatResponse>;

const instance = { model_instance_id: Type.String() };
export const V1ChatEvent = Type.Union([
    Type.Object({ type: Type.Union([Type.Literal("chat.start"), Type.Literal("model_load.start")]), ...instance }),
    Type.Object({ type: Type.Literal("model_load.progress"), ...instance, progress: Type.Number() }),
    Type.Object({ type: Type.Literal("model_load.end"), ...instance, load_time_seconds: Type.Number() }),
    Type.Object({ type: Type.Literal("prompt_processing.progress"), progress: Type.Number() }),
    Type.Object({ type: Type.Union([Type.Literal("reasoning.delta"), Type.Literal("message.delta")]), content: Type.String() }),
    Type.Object({
        type: Type.Union([
            Type.Literal("prompt_processing.start"), Type.Literal("prompt_processing.end"), Type.Literal("reasoning.start"),
            Type.Literal("reasoning.end"), Type.Literal("message.start"), Type.Literal("message.end")
        ])
    }),
    Type.Object({ type: Type.Literal("error"), error: Type.Object({ type: Type.String(), message: Type.String(), code: Type.Optional(Type.String()), param: Type.Optional(Type.String()) }) }),
    Type.Object({ type: Type.Literal("chat.end"), result: V1ChatResponse })
]);
export type V1ChatEvent = Static<typeof V1ChatEvent>;
