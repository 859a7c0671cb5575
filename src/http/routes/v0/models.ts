import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { V0Model, V0ModelList } from "../../../schemas/v0/models.js";
import type { ModelListing } from "../../../services/ModelService.js";
import type { RouteDependencies } from "../../app.js";
import { registerModelRoute } from "../modelRoute.js";

export function toV0Model(model: ModelListing): V0Model {
    return {
        id: model.id,
        object: "model",
        // LM Studio's v0 knows llm and embeddings: a reranker, an encoder too, lists as embeddings there.
        type: model.type === "reranker" ? "embeddings" : model.type,
        publisher: model.publisher,
        arch: model.architecture,
        compatibility_type: "gguf",
        quantization: model.quantization,
        state: model.loaded ? "loaded" : "not-loaded",
        max_context_length: model.maxContextLength
    };
}

export const v0ModelRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["LM Studio REST API v0"];
    app.get("/api/v0/models", { schema: { summary: "List available models", tags, response: { 200: V0ModelList } } },
        async () => ({ object: "list" as const, data: (await services.models.list()).map(toV0Model) }));
    registerModelRoute(app, "/api/v0/models", { summary: "Get info about a specific model", tags, response: V0Model },
        async (reference) => toV0Model(await services.models.get(reference)));
};
