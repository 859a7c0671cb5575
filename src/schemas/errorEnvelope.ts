import { Type, type Static } from "typebox";

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
