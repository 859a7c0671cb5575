import { Type, type Static } from "typebox";
import { EmbeddingInput } from "../v0/embeddings.js";

export const OpenAiEmbeddingRequest = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    input: EmbeddingInput,
    encoding_format: Type.Optional(Type.Enum(["float", "base64"], { description: "base64: little-endian float32 bytes. Default float." })),
    dimensions: Type.Optional(Type.Integer({ minimum: 1, description: "Must equal the model's own dimension; embeddings are not truncated." })),
    user: Type.Optional(Type.String()),
    ttl: Type.Optional(Type.Integer({ minimum: 1 }))
});
export type OpenAiEmbeddingRequest = Static<typeof OpenAiEmbeddingRequest>;

export const OpenAiEmbeddingResponse = Type.Object({
    object: Type.Literal("list"),
    data: Type.Array(Type.Object({
        object: Type.Literal("embedding"),
        embedding: Type.Union([Type.Array(Type.Number()), Type.String()]),
        index: Type.Integer()
    }, { additionalProperties: false })),
    model: Type.String(),
    usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }, { additionalProperties: false })
}, { additionalProperties: false });
export type OpenAiEmbeddingResponse = Static<typeof OpenAiEmbeddingResponse>;
