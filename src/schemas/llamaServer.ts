/** llama-server's utility routes (tools/server in llama.cpp), with a `model` field: lmhost serves many models. */
import { Type, type Static } from "typebox";
import { ChatMessage } from "./messages.js";
import { ReasoningFields } from "./reasoning.js";
import { ToolFields } from "./tools.js";

const model = Type.String({ minLength: 1, maxLength: 1024, description: "The model whose tokenizer or template to use (llama-server has only one)." });

export const TokenizeRequest = Type.Object({
    model,
    content: Type.String({ maxLength: 4_000_000 }),
    add_special: Type.Optional(Type.Boolean({ description: "Add BOS where the model's prompts get it; default false, as llama-server." })),
    parse_special: Type.Optional(Type.Literal(true, { description: "Special tokens written in the text are read as such (the only way lmhost tokenizes)." })),
    with_pieces: Type.Optional(Type.Boolean({ description: "Each token with its text; default false." }))
});
export type TokenizeRequest = Static<typeof TokenizeRequest>;

export const TokenizeResponse = Type.Object({
    tokens: Type.Union([Type.Array(Type.Integer()), Type.Array(Type.Object({ id: Type.Integer(), piece: Type.String() }))])
});

export const DetokenizeRequest = Type.Object({ model, tokens: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 1_000_000 }) });
export type DetokenizeRequest = Static<typeof DetokenizeRequest>;
export const DetokenizeResponse = Type.Object({ content: Type.String() });

export const ApplyTemplateRequest = Type.Object({
    model,
    messages: Type.Array(ChatMessage, { minItems: 1, maxItems: 10_000 }),
    ...ToolFields,
    ...ReasoningFields
});
export type ApplyTemplateRequest = Static<typeof ApplyTemplateRequest>;
export const ApplyTemplateResponse = Type.Object({ prompt: Type.String({ description: "The prompt the model's chat template renders, ready for the assistant's turn." }) });

export const RerankRequest = Type.Object({
    model,
    query: Type.String({ maxLength: 1_000_000 }),
    documents: Type.Array(Type.Union([Type.String({ maxLength: 1_000_000 }), Type.Object({ text: Type.String({ maxLength: 1_000_000 }) })]), { minItems: 1, maxItems: 10_000 }),
    top_n: Type.Optional(Type.Integer({ minimum: 1, description: "Only the best this many; default all." })),
    return_documents: Type.Optional(Type.Boolean({ description: "Each result with its document's text; default false." }))
});
export type RerankRequest = Static<typeof RerankRequest>;

export const RerankResponse = Type.Object({
    model: Type.String(),
    object: Type.Literal("list"),
    results: Type.Array(Type.Object({
        index: Type.Integer({ description: "The document's position in the request." }),
        relevance_score: Type.Number({ description: "0 to 1, higher is more relevant." }),
        document: Type.Optional(Type.Object({ text: Type.String() }))
    }), { description: "Most relevant first." }),
    usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() })
});
