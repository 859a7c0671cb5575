/**
 * Ollama's API, so that Ollama's clients (Open WebUI, Continue, the `ollama` libraries, ...) work unchanged:
 * model management and probes (models.ts), chat, generate and embeddings (generation.ts). Errors on these routes
 * are Ollama's `{"error": "..."}` (errorEnvelope.ts); streams are NDJSON.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { RouteDependencies } from "../../app.js";
import { ollamaGenerationRoutes } from "./generation.js";
import { ollamaModelRoutes } from "./models.js";

export const ollamaRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, dependencies) => {
    await app.register(ollamaModelRoutes, dependencies);
    await app.register(ollamaGenerationRoutes, dependencies);
};
