/** LM Studio's native REST v1 model management: list, load, unload. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { V1LoadRequest, V1LoadResponse, V1ModelList, V1UnloadAllResponse, V1UnloadRequest, V1UnloadResponse } from "../../../schemas/v1/models.js";
import type { RouteDependencies } from "../../app.js";
import { apiType, toV1Model } from "./v1Shapes.js";

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
            ...(body.flash_attention !== undefined ? { flashAttention: body.flash_attention } : {}),
            ...(body.kv_cache_type !== undefined ? { kvCacheType: body.kv_cache_type } : {}),
            ...(body.draft_model !== undefined ? { draftModel: body.draft_model } : {}),
            ...(body.draft_max_tokens !== undefined ? { draftMaxTokens: body.draft_max_tokens } : {}),
            ...(body.draft_min_confidence !== undefined ? { draftMinConfidence: body.draft_min_confidence } : {}),
            ...(body.prompt_lookup !== undefined ? { promptLookup: body.prompt_lookup } : {})
        });
        return { type: apiType(instance.entry.type), instance_id: instance.id, load_time_seconds: instance.loadSeconds, status: "loaded" as const };
    });

    app.post("/api/v1/models/unload", {
        schema: { summary: "Unload a model instance", tags, body: V1UnloadRequest, response: { 200: V1UnloadResponse, ...errors } }
    }, async (request) => ({ instance_id: (await services.models.unload(request.body.instance_id)).id }));

    app.post("/api/v1/models/unload-all", {
        schema: {
            summary: "Unload every model instance and cancel the loads in flight (an lmhost extension)", tags,
            response: { 200: V1UnloadAllResponse, ...errors }
        }
    }, async () => {
        const { unloaded, cancelledLoads } = await services.models.unloadAll();
        return { unloaded, cancelled_loads: cancelledLoads };
    });
};
