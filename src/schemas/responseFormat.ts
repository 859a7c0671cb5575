import { Type } from "typebox";

/** Structured output: plain text, any JSON object, or JSON matching a schema; enforced by a grammar. */
export const ResponseFormat = Type.Union([
    Type.Object({ type: Type.Literal("text") }),
    Type.Object({ type: Type.Literal("json_object") }),
    Type.Object({
        type: Type.Literal("json_schema"),
        json_schema: Type.Object({
            name: Type.Optional(Type.String({ maxLength: 256 })),
            description: Type.Optional(Type.String()),
            schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()]))
        })
    })
]);
