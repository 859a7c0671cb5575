/**
 * Anthropic's Messages API: `POST /v1/messages` (streaming or not) and `POST /v1/messages/count_tokens`, for
 * clients such as Claude Code and the `@anthropic-ai/sdk`. Errors on these routes have Anthropic's shape
 * (errorEnvelope.ts); `x-api-key` carries the --api-key as it does everywhere.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { InvalidRequest } from "../../../errors.js";
import type { ReasoningEffort } from "../../../families/ModelFamily.js";
import {
    AnthropicCountTokensRequest, AnthropicCountTokensResponse, AnthropicError, AnthropicMessage, AnthropicMessagesRequest, AnthropicStreamEvent,
    type AnthropicContentBlock, type AnthropicMessageParam, type AnthropicUsage
} from "../../../schemas/anthropic/messages.js";
import type { ChatTurn } from "../../../services/chatPrompt.js";
import type { ChatRequest, CompletionSummary, ToolChoice } from "../../../services/InferenceService.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { toAnthropicError } from "../../errorEnvelope.js";
import { startEventStream } from "../../sse.js";
import { completionResponses } from "../../../schemas/errorEnvelope.js";
import { callArgumentsObject, chunkSerializer, collectCompletion, completionId, throwIfEndedByServer, writeEventStream } from "../completionReplies.js";
import { dialectChatRequest } from "../generationRequest.js";

type Conversation = Pick<AnthropicMessagesRequest, "model" | "messages" | "system" | "tools" | "tool_choice" | "thinking">;

const unsupported = (type: string, param: string) => new InvalidRequest(
    `Content blocks of type '${type}' are not supported: lmhost's models read text only (no vision yet).`, param, "unsupported_content");

/** Anthropic's messages as chat turns: tool results become tool turns, an assistant's tool_use blocks its calls. */
export function toChatTurns(system: Conversation["system"], messages: AnthropicMessageParam[]): ChatTurn[] {
    const turns: ChatTurn[] = [];
    if (system !== undefined) {
        const text = typeof system === "string" ? system : system.map((block) => block.text).join("\n");
        if (text !== "") turns.push({ role: "system", content: text });
    }
    messages.forEach((message, index) => {
        if (typeof message.content === "string") {
            turns.push({ role: message.role, content: message.content });
            return;
        }
        const texts: string[] = [];
        const calls: NonNullable<ChatTurn["toolCalls"]> = [];
        message.content.forEach((block, blockIndex) => {
            const param = `messages[${index}].content[${blockIndex}]`;
            switch (block.type) {
                case "text": texts.push(block.text); break;
                case "image": case "document": throw unsupported(block.type, `${param}.type`);
                case "tool_use": calls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) }); break;
                case "tool_result": {
                    const content = block.content === undefined ? "" : typeof block.content === "string" ? block.content
                        : block.content.map((part, partIndex) => {
                            if (part.type !== "text") throw unsupported(part.type, `${param}.content[${partIndex}].type`);
                            return part.text;
                        }).join("\n");
                    turns.push({ role: "tool", content: block.is_error ? `Error: ${content}` : content, toolCallId: block.tool_use_id });
                    break;
                }
                // Earlier reasoning is not sent back to the model, as the families' own templates drop it.
                case "thinking": case "redacted_thinking": break;
            }
        });
        if (texts.length > 0 || calls.length > 0 || message.role === "assistant") {
            turns.push({ role: message.role, content: texts.join("\n"), ...(calls.length > 0 ? { toolCalls: calls } : {}) });
        }
    });
    return turns;
}

function toolChoice(choice: Conversation["tool_choice"]): ToolChoice {
    if (choice === undefined || choice.type === "auto") return "auto";
    if (choice.type === "any") return "required";
    if (choice.type === "none") return "none";
    return { name: choice.name };
}

/** `thinking`: enabled turns reasoning on, its budget choosing the effort; disabled turns it off; absent: the template's default. */
function reasoningEffort(thinking: Conversation["thinking"]): ReasoningEffort | null {
    if (thinking === undefined) return null;
    if (thinking.type === "disabled") return "none";
    return thinking.budget_tokens < 4096 ? "low" : thinking.budget_tokens < 16_384 ? "medium" : "high";
}

function toChatRequest(body: Conversation & Partial<AnthropicMessagesRequest>, receivedAt: number, signal: AbortSignal): ChatRequest {
    const choice = body.tool_choice;
    return dialectChatRequest({
        model: body.model,
        maxTokens: body.max_tokens ?? null,
        stop: body.stop_sequences ?? [],
        sampling: { temperature: body.temperature, topP: body.top_p, topK: body.top_k },
        stream: body.stream === true,
        messages: toChatTurns(body.system, body.messages),
        tools: (body.tools ?? []).map((tool) => ({ name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), parameters: tool.input_schema })),
        toolChoice: toolChoice(choice),
        parallelToolCalls: !(choice !== undefined && "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true),
        reasoningEffort: reasoningEffort(body.thinking)
    }, receivedAt, signal);
}

function stopReason(summary: CompletionSummary): "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" {
    if (summary.stopReason === "toolCalls") return "tool_use";
    if (summary.stopReason === "stopStringFound") return "stop_sequence";
    return summary.finishReason === "length" ? "max_tokens" : "end_turn";
}

/** Anthropic counts cached prompt tokens apart from the ones evaluated. */
function usage(summary: CompletionSummary): AnthropicUsage {
    return {
        input_tokens: summary.promptTokens - summary.cachedPromptTokens,
        output_tokens: summary.completionTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: summary.cachedPromptTokens
    };
}

export const anthropicMessageRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["Anthropic Messages API"];
    const errors = { "4xx": AnthropicError, "5xx": AnthropicError };

    app.post("/v1/messages", {
        schema: {
            summary: "Create a message (Anthropic's Messages API: tools, thinking, streaming)", tags, body: AnthropicMessagesRequest,
            response: completionResponses(AnthropicMessage, AnthropicStreamEvent, AnthropicError,
                "server-sent events, each an `event:` line naming its type and a `data:` line, from message_start to message_stop")
        }
    }, async (request, reply) => {
        const { body } = request;
        const run = await services.inference.chat(toChatRequest(body, request.receivedAt, clientDisconnectSignal(reply)));
        const id = completionId("msg").replace("-", "_");
        const message = (content: AnthropicContentBlock[], summary: CompletionSummary | null): AnthropicMessage => ({
            id, type: "message", role: "assistant", model: run.model.id, content,
            stop_reason: summary === null ? null : stopReason(summary),
            stop_sequence: summary?.stopSequence ?? null,
            usage: summary === null
                ? { input_tokens: run.promptTokens, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
                : usage(summary)
        });
        if (!body.stream) {
            const { text, reasoning, summary } = await collectCompletion(run, true);
            const content: AnthropicContentBlock[] = [
                ...(reasoning !== "" ? [{ type: "thinking" as const, thinking: reasoning, signature: "" }] : []),
                ...(text.trim() !== "" || summary.toolCalls.length === 0 ? [{ type: "text" as const, text, citations: null }] : []),
                ...summary.toolCalls.map((call) => ({ type: "tool_use" as const, id: call.id, name: call.name, input: callArgumentsObject(call.arguments) }))
            ];
            return message(content, summary);
        }
        const stream = startEventStream(reply, chunkSerializer(reply, AnthropicStreamEvent), {
            eventOf: (event) => event.type,
            doneMarker: null,
            error: (failure) => ({ event: "error", data: JSON.stringify(toAnthropicError(failure)) })
        });
        // One content block at a time, as Anthropic's stream has them: a new kind of output closes the open block.
        type OpenBlock = { kind: "text" | "thinking" | "tool_use"; index: number; call?: number };
        let open = null as OpenBlock | null;
        let blocks = 0;
        const close = async () => {
            if (open !== null) await stream.send({ type: "content_block_stop", index: open.index });
            open = null;
        };
        const begin = async (kind: "text" | "thinking" | "tool_use", block: Extract<AnthropicStreamEvent, { type: "content_block_start" }>["content_block"], call?: number) => {
            await close();
            open = { kind, index: blocks++, ...(call !== undefined ? { call } : {}) };
            await stream.send({ type: "content_block_start", index: open.index, content_block: block });
        };
        await writeEventStream(reply, stream, async () => {
            await stream.send({ type: "message_start", message: message([], null) });
            await stream.send({ type: "ping" });
            for await (const event of run.events) {
                if (event.type === "text") {
                    if (event.text === "") continue;
                    if (open?.kind !== "text") await begin("text", { type: "text", text: "", citations: null });
                    await stream.send({ type: "content_block_delta", index: open!.index, delta: { type: "text_delta", text: event.text } });
                } else if (event.type === "reasoning") {
                    if (open?.kind !== "thinking") await begin("thinking", { type: "thinking", thinking: "", signature: "" });
                    await stream.send({ type: "content_block_delta", index: open!.index, delta: { type: "thinking_delta", thinking: event.text } });
                } else if (event.type === "toolCallStart") {
                    await begin("tool_use", { type: "tool_use", id: event.id, name: event.name, input: {} }, event.index);
                } else if (event.type === "toolCallArguments") {
                    if (open?.kind === "tool_use" && open.call === event.index) {
                        await stream.send({ type: "content_block_delta", index: open.index, delta: { type: "input_json_delta", partial_json: event.text } });
                    }
                } else if (event.type === "end") {
                    const { summary } = event;
                    throwIfEndedByServer(summary);
                    if (blocks === 0) await begin("text", { type: "text", text: "", citations: null });
                    await close();
                    const totals = usage(summary);
                    await stream.send({
                        type: "message_delta",
                        delta: { stop_reason: stopReason(summary), stop_sequence: summary.stopSequence },
                        usage: { output_tokens: totals.output_tokens, input_tokens: totals.input_tokens, cache_read_input_tokens: totals.cache_read_input_tokens }
                    });
                    await stream.send({ type: "message_stop" });
                }
            }
        });
        return reply;
    });

    app.post("/v1/messages/count_tokens", {
        schema: {
            summary: "Count the prompt tokens of a message request (the model's chat template and tools included)", tags,
            body: AnthropicCountTokensRequest, response: { 200: AnthropicCountTokensResponse, ...errors }
        }
    }, async (request, reply) => {
        const { promptTokens } = await services.inference.countChatTokens(toChatRequest(request.body, request.receivedAt, clientDisconnectSignal(reply)));
        return { input_tokens: promptTokens };
    });
};
