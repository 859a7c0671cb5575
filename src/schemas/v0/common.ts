/** Response parts LM Studio's v0 API adds to completions: usage, stats, model_info, runtime. */
import { Type, type Static } from "typebox";

export const CompletionUsage = Type.Object({
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    total_tokens: Type.Integer()
}, { additionalProperties: false });
export type CompletionUsage = Static<typeof CompletionUsage>;

export const Stats = Type.Object({
    tokens_per_second: Type.Number({ description: "Decode speed over generation_time." }),
    time_to_first_token: Type.Number({ description: "Seconds from receiving the request to the first generated token." }),
    generation_time: Type.Number({ description: "Seconds from the first to the last generated token." }),
    stop_reason: Type.String({ description: "eosFound, stopStringFound, maxPredictedTokensReached, contextLengthReached, toolCalls, userStopped, modelUnloaded or failed." }),
    draft_model: Type.Optional(Type.String({ description: "Speculative decoding: the draft model's id (absent with prompt lookup)." })),
    total_draft_tokens_count: Type.Optional(Type.Integer({ description: "Speculative decoding: tokens proposed and verified." })),
    accepted_draft_tokens_count: Type.Optional(Type.Integer({ description: "Proposed tokens the model generated too: each saved a decode step." })),
    rejected_draft_tokens_count: Type.Optional(Type.Integer({ description: "Proposed tokens the model did not generate." })),
    ignored_draft_tokens_count: Type.Optional(Type.Integer({ description: "Verified proposals left unused when the answer ended." }))
}, { additionalProperties: false });
export type Stats = Static<typeof Stats>;

export const ModelInfo = Type.Object({
    arch: Type.String(),
    quant: Type.String(),
    format: Type.String(),
    context_length: Type.Integer()
}, { additionalProperties: false });
export type ModelInfo = Static<typeof ModelInfo>;

export const Runtime = Type.Object({
    name: Type.String(),
    version: Type.String(),
    supported_formats: Type.Array(Type.String())
}, { additionalProperties: false });
export type Runtime = Static<typeof Runtime>;

/** What every v0 completion carries besides its choices. */
export const V0Totals = { usage: CompletionUsage, stats: Stats, model_info: ModelInfo, runtime: Runtime };

/** In a stream only the last chunk carries the totals. */
export const V0ChunkTotals = {
    usage: Type.Optional(CompletionUsage),
    stats: Type.Optional(Stats),
    model_info: Type.Optional(ModelInfo),
    runtime: Type.Optional(Runtime)
};
