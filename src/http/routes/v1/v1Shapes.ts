/** A model as LM Studio's native v1 API shows it; also what `lmhost ls` prints when no server runs. */
import { bitsPerWeightOf } from "../../../models/catalog/quantizationBits.js";
import type { ModelInstance } from "../../../models/lifecycle/ModelLifecycle.js";
import type { V1Model } from "../../../schemas/v1/models.js";
import { templateSupportsTools } from "../../../services/chatPrompt.js";
import type { ModelListing } from "../../../services/ModelService.js";

/** LM Studio's v1 names: llm and embedding; a reranker is lmhost's own. */
export const apiType = (type: ModelListing["type"]) => (type === "embeddings" ? "embedding" as const : type);

function toV1Instance(instance: ModelInstance) {
    return {
        id: instance.id,
        config: {
            context_length: instance.engine.model.contextLength,
            eval_batch_size: instance.requested.batchSize ?? null,
            parallel: instance.engine.model.parallel,
            flash_attention: instance.requested.flashAttention ?? null,
            kv_cache_type: instance.requested.kvCacheType ?? null,
            draft_model: instance.speculation.draftModel,
            prompt_lookup: instance.speculation.promptLookup
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

