/**
 * The OpenAPI document, generated from the same route schemas that validate and serialize, at
 * GET /openapi.json, and a browsable Swagger UI at /docs (its assets are served locally).
 */
import { createRequire } from "node:module";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

/** With `requiresApiKey`, the document declares the key (Swagger UI's Authorize button then sends it). */
export async function registerOpenApi(app: FastifyInstance, requiresApiKey: boolean): Promise<void> {
    await app.register(swagger, {
        openapi: {
            ...(requiresApiKey ? {
                components: {
                    securitySchemes: {
                        bearerKey: { type: "http", scheme: "bearer", description: "An --api-key of the server, as Authorization: Bearer <key>" },
                        headerKey: { type: "apiKey", in: "header", name: "x-api-key", description: "An --api-key of the server, as x-api-key" }
                    }
                },
                security: [{ bearerKey: [] }, { headerKey: [] }]
            } : {}),
            info: {
                title: "lmhost",
                version,
                description: "LM Studio's REST API v0 and the OpenAI-compatible API, served on llama.cpp."
            },
            tags: [
                { name: "LM Studio REST API v0", description: "Models, chat, completions and embeddings with LM Studio's stats." },
                { name: "OpenAI-compatible API", description: "A drop-in base URL for OpenAI clients: /v1." },
                { name: "LM Studio REST API v1 (model management)", description: "List, load, unload and download models." },
                { name: "OpenAI Responses API", description: "OpenAI's Responses API, with stored conversations: /v1/responses." },
                { name: "Anthropic Messages API", description: "Anthropic's Messages API: /v1/messages." },
                { name: "Ollama API", description: "Ollama's API: chat, generate, embeddings and models, with NDJSON streams (also on --ollama-port)." },
                { name: "llama-server utilities", description: "llama-server's tokenize, detokenize, apply-template and rerank." },
                { name: "Operations", description: "Liveness and Prometheus metrics." }
            ]
        }
    });
    await app.register(swaggerUi, { routePrefix: "/docs" });
    app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
