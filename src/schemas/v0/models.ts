import { Type, type Static } from "typebox";

export const V0Model = Type.Object({
    id: Type.String(),
    object: Type.Literal("model"),
    type: Type.Union([Type.Literal("llm"), Type.Literal("embeddings")]),
    publisher: Type.String(),
    arch: Type.String(),
    compatibility_type: Type.String(),
    quantization: Type.String(),
    state: Type.Union([Type.Literal("not-loaded"), Type.Literal("loaded")]),
    max_context_length: Type.Integer()
}, { additionalProperties: false });
export type V0Model = Static<typeof V0Model>;

export const V0ModelList = Type.Object({
    data: Type.Array(V0Model),
    object: Type.Literal("list")
}, { additionalProperties: false });
export type V0ModelList = Static<typeof V0ModelList>;

export const ModelParams = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024, description: "A model id, `id@quant`, or `publisher/repo` (its slash URL-encoded or not)." })
});

/** The undocumented twin of a `{model}` route: a wildcard, so `publisher/repo` references keep their slash. */
export const ModelWildcardParams = Type.Object({ "*": Type.String({ minLength: 1, maxLength: 1024 }) });
