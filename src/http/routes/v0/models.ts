import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { ModelParams, V0Model, V0ModelList } from "../../../schemas/v0/models.js";
import type { ModelListing } from "../../../services/ModelService.js";
import type { RouteDependencies } from "../../app.js";

export function toV0Model(model: ModelListing): V0Model {
    return {
        id: model.id,
        object: "model",
        type: model.type,
        publisher: model.publisher,
        arch: model.architecture,
        compatibility_type: "gguf",
        quantization: model.quantization,
        state: model.loaded ? "loaded" : "not-loaded",
        max_context_length: model.maxContextLength
    };
}

export const v0ModelRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.get("/api/v0/models", {
        schema: { summary: "List available models", response: { 200: V0ModelList } }
    }, async () => ({ object: "list" as const, data: (await services.models.list()).map(toV0Model) }));

    app.get("/api/v0/models/*", {
        schema: { summary: "Get info about a specific model", params: ModelParams, response: { 200: V0Model, 404: ErrorEnvelope } }
    }, async (request) => toV0Model(await services.models.get(request.params["*"])));
};
