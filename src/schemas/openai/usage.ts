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

/** llama-server's `timings` (its name for each field), which its clients read for speed; times in milliseconds. */
export const LlamaServerTimings = Type.Object({
    cache_n: Type.Integer({ description: "Prompt tokens reused from the prompt cache." }),
    prompt_n: Type.Integer({ description: "Prompt tokens evaluated." }),
    prompt_ms: Type.Number({ description: "From the request's arrival to the first generated token (waiting and prompt evaluation)." }),
    predicted_n: Type.Integer({ description: "Tokens generated." }),
    predicted_ms: Type.Number({ description: "From the first generated token to the last." }),
    predicted_per_second: Type.Number({ description: "Decode speed over predicted_ms." })
}, { additionalProperties: false, description: "llama-server's timings (an extension OpenAI's API does not have)." });
export type LlamaServerTimings = Static<typeof LlamaServerTimings>;
