import { Type, type Static } from "typebox";

export const OpenAiUsage = Type.Object({
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    total_tokens: Type.Integer(),
    prompt_tokens_details: Type.Object({
        cached_tokens: Type.Integer({ description: "Prompt tokens reused from the prompt cache instead of evaluated." })
    }, { additionalProperties: false }),
    completion_tokens_details: Type.Optional(Type.Object({
        accepted_prediction_tokens: Type.Integer({ description: "Speculative decoding: proposed tokens the model generated too." }),
        rejected_prediction_tokens: Type.Integer({ description: "Speculative decoding: proposed tokens the model did not generate." })
    }, { additionalProperties: false, description: "Present when the answer was speculatively decoded (OpenAI's Predicted Outputs fields)." }))
}, { additionalProperties: false });
export type OpenAiUsage = Static<typeof OpenAiUsage>;
