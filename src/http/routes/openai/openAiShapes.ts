import type { OpenAiUsage } from "../../../schemas/openai/usage.js";
import type { CompletionSummary, ServedModel } from "../../../services/InferenceService.js";

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
