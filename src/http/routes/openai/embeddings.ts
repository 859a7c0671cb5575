import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { OpenAiEmbeddingRequest, OpenAiEmbeddingResponse } from "../../../schemas/openai/embeddings.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";

/** base64 is the little-endian float32 bytes of the vector, as OpenAI sends it. */
const toBase64 = (vector: number[]) => Buffer.from(new Float32Array(vector).buffer).toString("base64");

export const openAiEmbeddingRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.post("/v1/embeddings", {
        schema: {
            summary: "Create embeddings",
            tags: ["OpenAI-compatible API"],
            body: OpenAiEmbeddingRequest,
            response: { 200: OpenAiEmbeddingResponse, "4xx": ErrorEnvelope, "5xx": ErrorEnvelope }
        }
    }, async (request, reply) => {
        const { body } = request;
        const inputs = typeof body.input === "string" ? [body.input] : body.input;
        const result = await services.inference.embed(body.model, inputs, clientDisconnectSignal(reply), { dimensions: body.dimensions, ttlSeconds: body.ttl });
        const encode = body.encoding_format === "base64" ? toBase64 : (vector: number[]) => vector;
        return {
            object: "list" as const,
            data: result.vectors.map((vector, index) => ({ object: "embedding" as const, embedding: encode(vector), index })),
            model: result.model.id,
            usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens }
        };
    });
};
