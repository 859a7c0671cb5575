import { Type, type Static } from "typebox";

export const OpenAiUsage = Type.Object({
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    total_tokens: Type.Integer()
}, { additionalProperties: false });
export type OpenAiUsage = Static<typeof OpenAiUsage>;
