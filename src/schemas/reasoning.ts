/** Reasoning control and template variables on chat requests (OpenAI's reasoning_effort, llama-server's chat_template_kwargs). */
import { Type } from "typebox";

export const ReasoningEffort = Type.Enum(["none", "minimal", "low", "medium", "high"], {
    description: "How much the model reasons: none turns thinking off where the template can (Qwen3, DeepSeek, GLM, Granite); " +
        "the effort reaches templates that read it (gpt-oss). Default: the template's own."
});

export const ReasoningFields = {
    reasoning_effort: Type.Optional(ReasoningEffort),
    chat_template_kwargs: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.Unknown(), {
        description: "Extra variables for the model's chat template (e.g. {\"enable_thinking\": false}); they win over lmhost's own.",
        maxProperties: 64
    }))
};
