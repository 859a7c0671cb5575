/** Request translation shared by every completion endpoint: sampling fields and messages to native types. */
import { InvalidRequest } from "../../errors.js";
import type { ChatMessage } from "../../schemas/messages.js";
import type { ChatTurn } from "../../services/chatPrompt.js";
import type { GenerationRequest } from "../../services/InferenceService.js";

export type SamplingBody = {
    model: string;
    temperature?: number;
    top_p?: number;
    top_k?: number;
    min_p?: number;
    repeat_penalty?: number;
    presence_penalty?: number;
    frequency_penalty?: number;
    seed?: number;
    stop?: string | string[];
    max_tokens?: number | null;
};

export function toGenerationRequest(body: SamplingBody, receivedAt: number, signal: AbortSignal): GenerationRequest {
    return {
        model: body.model,
        maxTokens: body.max_tokens === undefined || body.max_tokens === null || body.max_tokens === -1 ? null : body.max_tokens,
        stop: body.stop === undefined ? [] : typeof body.stop === "string" ? [body.stop] : body.stop,
        sampling: {
            temperature: body.temperature,
            topP: body.top_p,
            topK: body.top_k,
            minP: body.min_p,
            repeatPenalty: body.repeat_penalty,
            presencePenalty: body.presence_penalty,
            frequencyPenalty: body.frequency_penalty,
            // The engine's sampler takes a 32-bit seed; any integer a client sends maps onto one.
            seed: body.seed === undefined ? undefined : Number(BigInt.asUintN(32, BigInt(body.seed)))
        },
        receivedAt,
        signal
    };
}

function textOf(message: ChatMessage, index: number): string {
    const content = message.content;
    if (content === undefined || content === null) return "";
    if (typeof content === "string") return content;
    return content.map((part, partIndex) => {
        if (part.type === "text" && "text" in part && typeof part.text === "string") return part.text;
        throw new InvalidRequest(`Content parts of type '${part.type}' are not supported; only text is.`,
            `messages[${index}].content[${partIndex}].type`, "unsupported_content");
    }).join("\n");
}

export function toChatTurns(messages: ChatMessage[]): ChatTurn[] {
    return messages.map((message, index) => ({
        role: message.role === "developer" ? "system" : message.role,
        content: textOf(message, index)
    }));
}
