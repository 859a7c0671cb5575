import { Type, type Static } from "typebox";

/** OpenAI's model object, with lmhost's facts about the model alongside. */
export const OpenAiModel = Type.Object({
    id: Type.String(),
    object: Type.Literal("model"),
    created: Type.Integer({ description: "Unix seconds of the file's last change." }),
    owned_by: Type.String({ description: "The publisher folder." }),
    type: Type.Union([Type.Literal("llm"), Type.Literal("embeddings"), Type.Literal("reranker")]),
    arch: Type.String(),
    quantization: Type.String(),
    max_context_length: Type.Integer(),
    state: Type.Union([Type.Literal("not-loaded"), Type.Literal("loaded")])
}, { additionalProperties: false });
export type OpenAiModel = Static<typeof OpenAiModel>;

export const OpenAiModelList = Type.Object({
    object: Type.Literal("list"),
    data: Type.Array(OpenAiModel)
}, { additionalProperties: false });
