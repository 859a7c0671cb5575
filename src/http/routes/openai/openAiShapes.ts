import type { LlamaServerTimings, OpenAiUsage } from "../../../schemas/openai/usage.js";
import type { CompletionSummary, ServedModel } from "../../../services/InferenceService.js";

/** llama-server's `timings` of a completion (the chunk with the usage carries them when streamed). */
export function llamaServerTimings(summary: CompletionSummary): LlamaServerTimings {
    return {
        cache_n: summary.cachedPromptTokens,
        prompt_n: summary.promptTokens - summary.cachedPromptTokens,
        prompt_ms: summary.timeToFirstToken * 1000,
        predicted_n: summary.completionTokens,
        predicted_ms: summary.generationTime * 1000,
        predicted_per_second: summary.tokensPerSecond
    };
}

export function openAiUsage(summary: CompletionSummary): OpenAiUsage {
    return {
        prompt_tokens: summary.promptTokens,
        completion_tokens: summary.completionTokens,
        total_tokens: summary.promptTokens + summary.completionTokens,
        prompt_tokens_details: { cached_tokens: summary.cachedPromptTokens },
        ...(summary.drafts !== null ? {
            completion_tokens_details: { accepted_prediction_tokens: summary.drafts.accepted, rejected_prediction_tokens: summary.drafts.rejected }
        } : {})
    };
}

/** Names the engine build that produced the answer, as OpenAI's fingerprint names its backend. */
export const systemFingerprint = (model: ServedModel) => `${model.runtime.name}@${model.runtime.version}`;
