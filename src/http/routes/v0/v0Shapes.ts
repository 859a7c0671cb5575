/** The parts of LM Studio's v0 responses built from native results: usage, stats, model_info, runtime. */
import type { CompletionSummary, ServedModel } from "../../../services/InferenceService.js";
import type { CompletionUsage, ModelInfo, Runtime, Stats } from "../../../schemas/v0/common.js";

export function v0Usage(summary: CompletionSummary): CompletionUsage {
    return {
        prompt_tokens: summary.promptTokens,
        completion_tokens: summary.completionTokens,
        total_tokens: summary.promptTokens + summary.completionTokens
    };
}

export function v0Stats(summary: CompletionSummary): Stats {
    return {
        tokens_per_second: summary.tokensPerSecond,
        time_to_first_token: summary.timeToFirstToken,
        generation_time: summary.generationTime,
        stop_reason: summary.stopReason,
        ...draftStats(summary.drafts)
    };
}

/** LM Studio's speculative decoding stats, present when the generation speculated. */
function draftStats(drafts: CompletionSummary["drafts"]): Partial<Stats> {
    if (drafts === null) return {};
    return {
        ...(drafts.draftModel !== null ? { draft_model: drafts.draftModel } : {}),
        total_draft_tokens_count: drafts.drafted,
        accepted_draft_tokens_count: drafts.accepted,
        rejected_draft_tokens_count: drafts.rejected,
        ignored_draft_tokens_count: drafts.ignored
    };
}

export function v0ModelInfo(model: ServedModel): ModelInfo {
    return { arch: model.architecture, quant: model.quantization, format: "gguf", context_length: model.contextLength };
}

export function v0Runtime(model: ServedModel): Runtime {
    const { runtime } = model;
    return { name: runtime.name, version: runtime.version, supported_formats: runtime.supportedFormats };
}

/** The fields every v0 completion carries besides its choices. */
export function v0Totals(model: ServedModel, summary: CompletionSummary) {
    return { usage: v0Usage(summary), stats: v0Stats(summary), model_info: v0ModelInfo(model), runtime: v0Runtime(model) };
}
