import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { OpenAiModel, OpenAiModelList } from "../../../schemas/openai/models.js";
import type { ModelListing } from "../../../services/ModelService.js";
import type { RouteDependencies } from "../../app.js";
import { registerModelRoute } from "../modelRoute.js";

export function toOpenAiModel(model: ModelListing): OpenAiModel {
    return {
        id: model.id,
        object: "model",
        created: Math.floor(model.modifiedAt.getTime() / 1000),
        owned_by: model.publisher,
        type: model.type,
        arch: model.architecture,
        quantization: model.quantization,
        max_context_length: model.maxContextLength,
        state: model.loaded ? "loaded" : "not-loaded"
    };
}

export const openAiModelRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["OpenAI-compatible API"];
    app.get("/v1/models", { schema: { summary: "List models", tags, response: { 200: OpenAiModelList } } },
        async () => ({ object: "list" as const, data: (await services.models.list()).map(toOpenAiModel) }));
    registerModelRoute(app, "/v1/models", { summary: "Retrieve a model", tags, response: OpenAiModel },
        async (reference) => toOpenAiModel(await services.models.get(reference)));
};
