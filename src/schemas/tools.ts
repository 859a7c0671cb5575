/** Function tools and the calls a model makes to them, as OpenAI's API spells them. */
import { Type, type Static } from "typebox";

export const FunctionTool = Type.Object({
    type: Type.Literal("function"),
    function: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 256, pattern: "^[A-Za-z0-9_.:-]+$" }),
        description: Type.Optional(Type.String()),
        parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "A JSON Schema for the arguments." })),
        strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()]))
    })
});

export const ToolChoice = Type.Union([
    Type.Enum(["none", "auto", "required"]),
    Type.Object({ type: Type.Literal("function"), function: Type.Object({ name: Type.String({ minLength: 1 }) }) })
], { description: "none, auto, required, or {type: \"function\", function: {name}}." });
export type ToolChoice = Static<typeof ToolChoice>;

export const ToolCall = Type.Object({
    id: Type.String(),
    type: Type.Literal("function"),
    function: Type.Object({ name: Type.String(), arguments: Type.String() }, { additionalProperties: false })
}, { additionalProperties: false });
export type ToolCall = Static<typeof ToolCall>;

/** A piece of a streamed tool call: the first piece of a call has its id, type and name; later ones add arguments. */
export const ToolCallDelta = Type.Object({
    index: Type.Integer(),
    id: Type.Optional(Type.String()),
    type: Type.Optional(Type.Literal("function")),
    function: Type.Object({ name: Type.Optional(Type.String()), arguments: Type.Optional(Type.String()) }, { additionalProperties: false })
}, { additionalProperties: false });
export type ToolCallDelta = Static<typeof ToolCallDelta>;

export const ToolFields = {
    tools: Type.Optional(Type.Array(FunctionTool, { maxItems: 512 })),
    tool_choice: Type.Optional(ToolChoice),
    parallel_tool_calls: Type.Optional(Type.Boolean({ description: "Default true." }))
};
