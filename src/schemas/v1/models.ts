/** LM Studio's native REST v1 model management shapes (see shared/spec/lmstudio-behaviour.md). */
import { Type, type Static } from "typebox";

export const V1LoadedInstance = Type.Object({
    id: Type.String(),
    config: Type.Object({
        context_length: Type.Integer(),
        eval_batch_size: Type.Union([Type.Integer(), Type.Null()]),
        parallel: Type.Integer(),
        flash_attention: Type.Union([Type.Boolean(), Type.Null()]),
        /** lmhost: the KV cache type the load asked for (null: f16, the default). */
        kv_cache_type: Type.Union([Type.Enum(["f16", "q8_0", "q4_0"]), Type.Null()]),
        /** lmhost: speculative decoding, with a draft model (its id) or prompt lookup. */
        draft_model: Type.Union([Type.String(), Type.Null()]),
        prompt_lookup: Type.Boolean()
    }),
    /** lmhost: how it was loaded, its idle TTL, and the requests it serves now. */
    load_origin: Type.Union([Type.Literal("jit"), Type.Literal("explicit")]),
    ttl_seconds: Type.Union([Type.Integer(), Type.Null()]),
    requests_in_flight: Type.Integer(),
    loaded_at: Type.String({ format: "date-time" })
});

export const V1Model = Type.Object({
    type: Type.Union([Type.Literal("llm"), Type.Literal("embedding"), Type.Literal("reranker")]),
    publisher: Type.String(),
    key: Type.String(),
    display_name: Type.String(),
    architecture: Type.String(),
    quantization: Type.Object({ name: Type.String(), bits_per_weight: Type.Union([Type.Number(), Type.Null()]) }),
    size_bytes: Type.Integer(),
    params_string: Type.Union([Type.String(), Type.Null()]),
    loaded_instances: Type.Array(V1LoadedInstance),
    max_context_length: Type.Integer(),
    format: Type.Literal("gguf"),
    capabilities: Type.Object({ vision: Type.Boolean(), trained_for_tool_use: Type.Boolean() }),
    /** lmhost: where the model was found, and its file. */
    source: Type.String(),
    path: Type.String()
});
export type V1Model = Static<typeof V1Model>;

export const V1ModelList = Type.Object({ models: Type.Array(V1Model) });

export const V1LoadRequest = Type.Object({
    model: Type.String({ minLength: 1, maxLength: 1024 }),
    context_length: Type.Optional(Type.Integer({ minimum: 32, maximum: 10_000_000 })),
    eval_batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
    flash_attention: Type.Optional(Type.Boolean()),
    kv_cache_type: Type.Optional(Type.Enum(["f16", "q8_0", "q4_0"], {
        description: "The KV cache's element type; q8_0 takes about half the memory of f16, q4_0 a quarter (both turn flash attention on). Default f16."
    })),
    parallel: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    draft_model: Type.Optional(Type.String({
        minLength: 1, maxLength: 1024,
        description: "Speculative decoding: a smaller model with the same vocabulary proposes tokens, the model verifies them in batches. Output is unchanged."
    })),
    draft_max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: "Tokens the draft model proposes per step at most (llama-server's --spec-draft-n-max); default 3." })),
    draft_min_confidence: Type.Optional(Type.Number({
        minimum: 0, maximum: 1, description: "The draft stops proposing when its most likely token is less likely than this (llama-server's --spec-draft-p-min); default 0: it always proposes."
    })),
    prompt_lookup: Type.Optional(Type.Boolean({
        description: "Speculative decoding from the prompt: proposes the tokens that followed the last generated ones where they occur in the prompt (pays when answers copy their input). Not with draft_model."
    })),
    ttl: Type.Optional(Type.Integer({ minimum: 1, description: "Idle seconds before unloading; default: never." })),
    identifier: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: "^[^\\s/]+$" }))
});

export const V1LoadResponse = Type.Object({
    type: Type.Union([Type.Literal("llm"), Type.Literal("embedding"), Type.Literal("reranker")]),
    instance_id: Type.String(),
    load_time_seconds: Type.Number(),
    status: Type.Literal("loaded")
});

export const V1UnloadRequest = Type.Object({ instance_id: Type.String({ minLength: 1, maxLength: 1024 }) });
export const V1UnloadResponse = Type.Object({ instance_id: Type.String() });
export const V1UnloadAllResponse = Type.Object({
    unloaded: Type.Array(Type.String(), { description: "Instance ids unloaded" }),
    cancelled_loads: Type.Array(Type.String(), { description: "Instance ids whose loads were in flight and were cancelled" })
});

export const V1DownloadRequest = Type.Object({
    model: Type.String({ minLength: 3, maxLength: 1024, description: "user/repo, user/repo@quantization or user/repo/file.gguf" }),
    quantization: Type.Optional(Type.String({ minLength: 1, maxLength: 64 }))
});

export const V1DownloadJob = Type.Object({
    job_id: Type.String(),
    status: Type.Enum(["downloading", "completed", "failed", "already_downloaded"]),
    total_size_bytes: Type.Integer(),
    downloaded_bytes: Type.Integer(),
    bytes_per_second: Type.Number(),
    started_at: Type.String({ format: "date-time" }),
    completed_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()]),
    files: Type.Array(Type.String())
});

export const V1JobParams = Type.Object({ job_id: Type.String({ minLength: 1, maxLength: 64 }) });
