import { Type } from "typebox";

/** The fields that open every completion object and chunk. */
export function completionHeader<const Kind extends string>(object: Kind) {
    return { id: Type.String(), object: Type.Literal(object), created: Type.Integer(), model: Type.String() };
}
