import { Type, type Static } from "typebox";

export const OpenAiUsage = Type.Object({
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    total_tokens: Type.Integer(),
    prompt_tokens_details: Type.Object({
        cached_tokens: Type.Integer({ description: "Prompt tokens reused from the prompt cache instead of evaluated." })
    }, { additionalProperties: false })
}, { additionalProperties: false });
export type OpenAiUsage = Static<typeof OpenAiUsage>;
