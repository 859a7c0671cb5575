import { Type, type Static } from "typebox";

export const EmbeddingInput = Type.Union([
    Type.String({ minLength: 1, maxLength: 4_000_000 }),
    Type.Array(Type.String({ minLength: 1, maxLength: 4_000_000 }), { minItems: 1, maxItems: 2048 })
], { description: "A non-empty string or a non-empty array of non-empty strings." });

export const V0EmbeddingRequest = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    input: EmbeddingInput,
    ttl: Type.Optional(Type.Integer({ minimum: 1 }))
});
export type V0EmbeddingRequest = Static<typeof V0EmbeddingRequest>;

export const V0EmbeddingResponse = Type.Object({
    object: Type.Literal("list"),
    data: Type.Array(Type.Object({
        object: Type.Literal("embedding"),
        embedding: Type.Array(Type.Number()),
        index: Type.Integer()
    }, { additionalProperties: false })),
    model: Type.String(),
    usage: Type.Object({
        prompt_tokens: Type.Integer(),
        total_tokens: Type.Integer()
    }, { additionalProperties: false })
}, { additionalProperties: false });
export type V0EmbeddingResponse = Static<typeof V0EmbeddingResponse>;
