/** Native token log-probabilities in OpenAI's chat and legacy completion shapes. */
import type { TokenLogprob } from "../../engine/protocol.js";
import type { ChatLogprobs, CompletionLogprobs } from "../../schemas/logprobs.js";

const encoder = new TextEncoder();
const bytes = (token: string) => Array.from(encoder.encode(token));

export function toChatLogprobs(entries: TokenLogprob[]): ChatLogprobs {
    return {
        content: entries.map((entry) => ({
            token: entry.token,
            logprob: entry.logprob,
            bytes: bytes(entry.token),
            top_logprobs: entry.top.map((alternative) => ({ token: alternative.token, logprob: alternative.logprob, bytes: bytes(alternative.token) }))
        })),
        refusal: null
    };
}

/** `textOffset`: where the first token starts in the completion text (later chunks of a stream continue on). */
export function toCompletionLogprobs(entries: TokenLogprob[], textOffset = 0): CompletionLogprobs {
    let offset = textOffset;
    const offsets = entries.map((entry) => {
        const start = offset;
        offset += entry.token.length;
        return start;
    });
    return {
        tokens: entries.map((entry) => entry.token),
        token_logprobs: entries.map((entry) => entry.logprob),
        top_logprobs: entries.map((entry) => Object.fromEntries(entry.top.map((alternative) => [alternative.token, alternative.logprob]))),
        text_offset: offsets
    };
}
