import { Type, type Static, type TSchema } from "typebox";

/** OpenAI's error shape, used by every API surface for every failure. */
export const ErrorEnvelope = Type.Object({
    error: Type.Object({
        message: Type.String(),
        type: Type.String(),
        param: Type.Union([Type.String(), Type.Null()]),
        code: Type.Union([Type.String(), Type.Null()])
    }, { additionalProperties: false })
}, { additionalProperties: false, $id: "ErrorEnvelope" });
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

/**
 * A completion route's responses: its JSON body, or with `stream: true` server-sent events, each `data:` one
 * chunk (then `data: [DONE]`); errors in the envelope. The chunk schema is the one streamed chunks are serialized with.
 */
export function completionResponses<Json extends TSchema, Chunk extends TSchema, Failure extends TSchema = typeof ErrorEnvelope>(json: Json, chunk: Chunk,
    failure: Failure = ErrorEnvelope as unknown as Failure,
    streamDescription = "server-sent events whose `data:` lines are chunks, ending with `data: [DONE]`") {
    return {
        200: {
            description: `The completion; with \`stream: true\`, ${streamDescription}`,
            content: {
                "application/json": { schema: json },
                "text/event-stream": { schema: chunk }
            }
        },
        "4xx": failure,
        "5xx": failure
    };
}
