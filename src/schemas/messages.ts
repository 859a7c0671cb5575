/** Chat messages as OpenAI-style clients send them: content as a string, as text parts, or null. */
import { Type, type Static } from "typebox";
import { ToolCall } from "./tools.js";

export const TextContentPart = Type.Object({
    type: Type.Literal("text"),
    text: Type.String()
});

/** Parts we do not serve (images, audio) are accepted by the schema and refused with a clear message later. */
export const OtherContentPart = Type.Object({
    type: Type.String({ pattern: "^(?!text$)" })
});

export const MessageContent = Type.Union([
    Type.String(),
    Type.Array(Type.Union([TextContentPart, OtherContentPart]), { maxItems: 10_000 }),
    Type.Null()
]);

export const ChatRole = Type.Enum(["system", "developer", "user", "assistant", "tool"]);

export const ChatMessage = Type.Object({
    role: ChatRole,
    content: Type.Optional(MessageContent),
    name: Type.Optional(Type.String()),
    /** On assistant messages: the calls the assistant made. */
    tool_calls: Type.Optional(Type.Array(ToolCall, { maxItems: 512 })),
    /** On tool messages: the call this is the result of. */
    tool_call_id: Type.Optional(Type.String())
});
export type ChatMessage = Static<typeof ChatMessage>;
