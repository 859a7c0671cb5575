import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { V0EmbeddingRequest, V0EmbeddingResponse } from "../../../schemas/v0/embeddings.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";

export const v0EmbeddingRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.post("/api/v0/embeddings", {
        schema: {
            summary: "Text embeddings (text -> embedding vectors)",
            tags: ["LM Studio REST API v0"],
            body: V0EmbeddingRequest,
            response: { 200: V0EmbeddingResponse, "4xx": ErrorEnvelope, "5xx": ErrorEnvelope }
        }
    }, async (request, reply) => {
        const inputs = typeof request.body.input === "string" ? [request.body.input] : request.body.input;
        const result = await services.inference.embed(request.body.model, inputs, clientDisconnectSignal(reply), { ttlSeconds: request.body.ttl });
        return {
            object: "list" as const,
            data: result.vectors.map((embedding, index) => ({ object: "embedding" as const, embedding, index })),
            model: result.model.id,
            usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens }
        };
    });
};
