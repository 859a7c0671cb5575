/**
 * llama-server's utility routes, which its clients and tools call: `POST /tokenize`, `POST /detokenize`,
 * `POST /apply-template` and reranking at `POST /v1/rerank` (and `/rerank`), each naming its model (lmhost serves
 * many; llama-server one).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import {
    ApplyTemplateRequest, ApplyTemplateResponse, DetokenizeRequest, DetokenizeResponse, RerankRequest, RerankResponse, TokenizeRequest, TokenizeResponse
} from "../../../schemas/llamaServer.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { toChatRequest } from "../generationRequest.js";

export const llamaServerUtilityRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["llama-server utilities"];
    const errors = { "4xx": ErrorEnvelope, "5xx": ErrorEnvelope };

    app.post("/tokenize", {
        schema: { summary: "Tokenize text with a model's tokenizer", tags, body: TokenizeRequest, response: { 200: TokenizeResponse, ...errors } }
    }, async (request) => {
        const { model, content, add_special: addSpecial = false, with_pieces: withPieces = false } = request.body;
        const { tokens, pieces } = await services.inference.tokenize(model, content, addSpecial);
        return { tokens: withPieces ? tokens.map((id, index) => ({ id, piece: pieces[index] ?? "" })) : tokens };
    });

    app.post("/detokenize", {
        schema: { summary: "Turn a model's token ids back into text", tags, body: DetokenizeRequest, response: { 200: DetokenizeResponse, ...errors } }
    }, async (request) => ({ content: await services.inference.detokenize(request.body.model, request.body.tokens) }));

    // Jina's and Cohere's shape, as llama-server answers it, at llama-server's paths.
    for (const url of ["/v1/rerank", "/rerank"]) {
        app.post(url, {
            schema: {
                summary: "Rank documents by relevance to a query with a reranker model", tags, body: RerankRequest, response: { 200: RerankResponse, ...errors }
            }
        }, async (request) => {
            const { model, query, documents, top_n: topN, return_documents: returnDocuments = false } = request.body;
            const texts = documents.map((document) => (typeof document === "string" ? document : document.text));
            const ranked = await services.inference.rerank(model, query, texts);
            const results = ranked.scores.map((score, index) => ({ index, relevance_score: score, ...(returnDocuments ? { document: { text: texts[index]! } } : {}) }))
                .sort((a, b) => b.relevance_score - a.relevance_score)
                .slice(0, topN ?? texts.length);
            return { model: ranked.model.id, object: "list" as const, results, usage: { prompt_tokens: ranked.promptTokens, total_tokens: ranked.promptTokens } };
        });
    }

    app.post("/apply-template", {
        schema: {
            summary: "Render chat messages with a model's chat template (the prompt a chat completion would evaluate)", tags,
            body: ApplyTemplateRequest, response: { 200: ApplyTemplateResponse, ...errors }
        }
    }, async (request, reply) => ({ prompt: await services.inference.applyTemplate(toChatRequest(request.body, request.receivedAt, clientDisconnectSignal(reply), true)) }));
};
