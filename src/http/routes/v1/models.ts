/** LM Studio's native REST v1 model management: list, load, unload. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { bitsPerWeightOf } from "../../../models/catalog/quantizationBits.js";
import type { ModelInstance } from "../../../models/lifecycle/ModelLifecycle.js";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { V1LoadRequest, V1LoadResponse, V1ModelList, V1UnloadRequest, V1UnloadResponse, type V1Model } from "../../../schemas/v1/models.js";
import { templateSupportsTools } from "../../../services/chatPrompt.js";
import type { ModelListing } from "../../../services/ModelService.js";
import type { RouteDependencies } from "../../app.js";

const apiType = (type: ModelListing["type"]) => (type === "embeddings" ? "embedding" as const : "llm" as const);

function toV1Instance(instance: ModelInstance) {
    return {
        id: instance.id,
        config: {
            context_length: instance.engine.model.contextLength,
            eval_batch_size: instance.requested.batchSize ?? null,
            parallel: instance.engine.model.parallel,
            flash_attention: instance.requested.flashAttention ?? null
        },
        load_origin: instance.origin,
        ttl_seconds: instance.ttlSeconds,
        requests_in_flight: instance.inFlight,
        loaded_at: instance.loadedAt.toISOString()
    };
}

export function toV1Model(model: ModelListing): V1Model {
    return {
        type: apiType(model.type),
        publisher: model.publisher,
        key: model.id,
        display_name: model.header.name ?? model.id,
        architecture: model.architecture,
        quantization: { name: model.quantization, bits_per_weight: bitsPerWeightOf(model.quantization) },
        size_bytes: model.sizeBytes,
        params_string: model.header.sizeLabel,
        loaded_instances: model.instances.map(toV1Instance),
        max_context_length: model.maxContextLength,
        format: "gguf",
        capabilities: { vision: false, trained_for_tool_use: templateSupportsTools(model.header) },
        source: model.source,
        path: model.path
    };
}

export const v1ModelRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["LM Studio REST API v1 (model management)"];
    const errors = { "4xx": ErrorEnvelope, "5xx": ErrorEnvelope };
    app.get("/api/v1/models", { schema: { summary: "List models with their loaded instances", tags, response: { 200: V1ModelList } } },
        async () => ({ models: (await services.models.list()).map(toV1Model) }));

    app.post("/api/v1/models/load", {
        schema: { summary: "Load a model (explicitly: never evicted by JIT loads)", tags, body: V1LoadRequest, response: { 200: V1LoadResponse, ...errors } }
    }, async (request) => {
        const { body } = request;
        const instance = await services.models.load(body.model, {
            ...(body.identifier !== undefined ? { identifier: body.identifier } : {}),
            ...(body.context_length !== undefined ? { contextLength: body.context_length } : {}),
            ...(body.parallel !== undefined ? { parallel: body.parallel } : {}),
            ...(body.ttl !== undefined ? { ttlSeconds: body.ttl } : {}),
            ...(body.eval_batch_size !== undefined ? { batchSize: body.eval_batch_size } : {}),
            ...(body.flash_attention !== undefined ? { flashAttention: body.flash_attention } : {})
        });
        return { type: apiType(instance.entry.type), instance_id: instance.id, load_time_seconds: instance.loadSeconds, status: "loaded" as const };
    });

    app.post("/api/v1/models/unload", {
        schema: { summary: "Unload a model instance", tags, body: V1UnloadRequest, response: { 200: V1UnloadResponse, ...errors } }
    }, async (request) => ({ instance_id: (await services.models.unload(request.body.instance_id)).id }));
};
