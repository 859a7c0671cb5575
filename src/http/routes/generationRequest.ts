/** Request translation shared by every completion endpoint: API fields to the inference service's native types. */
import { InvalidRequest } from "../../errors.js";
import type { ChatMessage } from "../../schemas/messages.js";
import type { ToolChoice as ToolChoiceBody } from "../../schemas/tools.js";
import type { ReasoningEffort } from "../../families/ModelFamily.js";
import type { ChatTurn, ToolDefinition } from "../../services/chatPrompt.js";
import type { ChatRequest, GenerationRequest, ResponseFormat, TextRequest, ToolChoice } from "../../services/InferenceService.js";

export type GenerationBody = {
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
    max_completion_tokens?: number | null;
    logit_bias?: Record<string, number> | null;
    ttl?: number;
    cache_prompt?: boolean;
    draft_model?: string;
    stream?: boolean;
    response_format?: { type: "text" } | { type: "json_object" } | { type: "json_schema"; json_schema: { schema?: Record<string, unknown> } };
};

export type ChatBody = GenerationBody & {
    messages: ChatMessage[];
    tools?: Array<{ function: { name: string; description?: string; parameters?: Record<string, unknown> } }>;
    tool_choice?: ToolChoiceBody;
    parallel_tool_calls?: boolean;
    logprobs?: boolean | null;
    top_logprobs?: number | null;
    reasoning_effort?: ReasoningEffort;
    chat_template_kwargs?: Record<string, unknown>;
};

function responseFormat(body: GenerationBody): ResponseFormat {
    const format = body.response_format;
    if (format === undefined || format.type === "text") return { type: "text" };
    if (format.type === "json_object") return { type: "json_object" };
    return { type: "json_schema", schema: format.json_schema.schema ?? {} };
}

function logitBias(body: GenerationBody): Record<string, number> {
    const bias = body.logit_bias ?? {};
    for (const [token, value] of Object.entries(bias)) {
        if (!/^\d+$/.test(token)) throw new InvalidRequest(`logit_bias keys must be token ids, got '${token}'.`, "logit_bias");
        if (typeof value !== "number" || value < -100 || value > 100) {
            throw new InvalidRequest(`logit_bias values must be numbers from -100 to 100, got ${JSON.stringify(value)} for token ${token}.`, "logit_bias");
        }
    }
    return bias;
}

export function toGenerationRequest(body: GenerationBody, receivedAt: number, signal: AbortSignal, logprobs: number | null = null): GenerationRequest {
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (maxTokens === 0) {
        // As OpenAI: an answer of no tokens is a mistake in the request, not a request.
        throw new InvalidRequest("max_tokens must be at least 1 (-1, null or absent: no limit).",
            body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? "max_completion_tokens" : "max_tokens");
    }
    return {
        model: body.model,
        maxTokens: maxTokens === undefined || maxTokens === null || maxTokens === -1 ? null : maxTokens,
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
        responseFormat: responseFormat(body),
        logprobs,
        logitBias: logitBias(body),
        ...(body.ttl !== undefined ? { ttlSeconds: body.ttl } : {}),
        cachePrompt: body.cache_prompt ?? true,
        ...(body.draft_model !== undefined ? { draftModel: body.draft_model } : {}),
        stream: body.stream === true,
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
        content: textOf(message, index),
        ...(message.tool_calls?.length ? {
            toolCalls: message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }))
        } : {}),
        ...(message.tool_call_id !== undefined ? { toolCallId: message.tool_call_id } : {}),
        ...(message.name !== undefined ? { name: message.name } : {})
    }));
}

function toolChoice(choice: ToolChoiceBody | undefined): ToolChoice {
    if (choice === undefined) return "auto";
    return typeof choice === "string" ? choice as ToolChoice : { name: choice.function.name };
}

export function toChatRequest(body: ChatBody, receivedAt: number, signal: AbortSignal, splitMessage: boolean): ChatRequest {
    const tools: ToolDefinition[] = (body.tools ?? []).map(({ function: tool }) => ({
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {})
    }));
    return {
        ...toGenerationRequest(body, receivedAt, signal, body.logprobs ? body.top_logprobs ?? 0 : null),
        messages: toChatTurns(body.messages),
        tools,
        toolChoice: toolChoice(body.tool_choice),
        parallelToolCalls: body.parallel_tool_calls ?? true,
        splitMessage,
        reasoningEffort: body.reasoning_effort ?? null,
        templateVariables: body.chat_template_kwargs ?? {}
    };
}

export type TextBody = GenerationBody & { prompt: string | string[]; logprobs?: number | null };

export function toTextRequest(body: TextBody, receivedAt: number, signal: AbortSignal): TextRequest {
    const prompts = typeof body.prompt === "string" ? [body.prompt] : body.prompt;
    if (prompts.length !== 1) throw new InvalidRequest("Only one prompt per request is supported.", "prompt");
    return { ...toGenerationRequest(body, receivedAt, signal, body.logprobs ?? null), prompt: prompts[0]! };
}

/**
 * A chat request from an API with its own request shape (Anthropic's Messages, OpenAI's Responses): what it sets,
 * the rest as a plain chat: text output unless said, no log-probabilities or biases, the prompt cache on, the
 * message split into reasoning, text and calls.
 */
export function dialectChatRequest(fields: Pick<ChatRequest, "model" | "maxTokens" | "stop" | "sampling" | "stream" | "messages" | "tools" | "toolChoice" |
    "parallelToolCalls" | "reasoningEffort"> & Partial<Pick<ChatRequest, "responseFormat">>, receivedAt: number, signal: AbortSignal): ChatRequest {
    return {
        responseFormat: { type: "text" }, logprobs: null, logitBias: {}, cachePrompt: true, splitMessage: true, templateVariables: {},
        ...fields, receivedAt, signal
    };
}
