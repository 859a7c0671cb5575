import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ChatCompletionRequest } from "../../../schemas/completionRequests.js";
import { completionResponses } from "../../../schemas/errorEnvelope.js";
import { OpenAiChatChunk, OpenAiChatResponse } from "../../../schemas/openai/chat.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { chunkSerializer, collectCompletion, completionId, streamCompletion, unixSeconds } from "../completionReplies.js";
import { toChatRequest } from "../generationRequest.js";
import { toChatLogprobs } from "../logprobShapes.js";
import { llamaServerTimings, openAiUsage, systemFingerprint } from "./openAiShapes.js";

type Delta = OpenAiChatChunk["choices"][number]["delta"];

export const openAiChatRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.post("/v1/chat/completions", {
        schema: {
            summary: "Create a chat completion (tools, structured output, logprobs, reasoning)",
            tags: ["OpenAI-compatible API"],
            body: ChatCompletionRequest,
            response: completionResponses(OpenAiChatResponse, OpenAiChatChunk)
        }
    }, async (request, reply) => {
        const { body } = request;
        const run = await services.inference.chat(toChatRequest(body, request.receivedAt, clientDisconnectSignal(reply), true));
        const header = { id: completionId("chatcmpl"), created: unixSeconds(), model: run.model.id, system_fingerprint: systemFingerprint(run.model) };
        const logprobs = (entries: Parameters<typeof toChatLogprobs>[0]) => (body.logprobs ? toChatLogprobs(entries) : null);
        if (body.stream) {
            const includeUsage = body.stream_options?.include_usage === true;
            const chunk = (delta: Delta, first: boolean, extra: Partial<OpenAiChatChunk["choices"][number]> = {}): OpenAiChatChunk => ({
                ...header,
                object: "chat.completion.chunk",
                choices: [{ index: 0, delta: first ? { role: "assistant", ...delta } : delta, logprobs: null, finish_reason: null, ...extra }],
                ...(includeUsage ? { usage: null } : {})
            });
            await streamCompletion<OpenAiChatChunk>(run, reply, {
                text: (event, first) => chunk({ content: event.text }, first, { logprobs: logprobs(event.logprobs) }),
                reasoning: (event, first) => chunk({ reasoning_content: event.text }, first),
                toolCallStart: (event, first) => chunk({
                    tool_calls: [{ index: event.index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }]
                }, first),
                toolCallArguments: (event) => chunk({ tool_calls: [{ index: event.index, function: { arguments: event.text } }] }, false),
                finish: (summary, rest) => chunk({}, false, { finish_reason: summary.finishReason, logprobs: rest.length > 0 ? logprobs(rest) : null }),
                totals: (summary) => (includeUsage
                    ? { ...header, object: "chat.completion.chunk", choices: [], usage: openAiUsage(summary), timings: llamaServerTimings(summary) }
                    : null)
            }, chunkSerializer(reply, OpenAiChatChunk), true);
            return reply;
        }
        const { text, reasoning, summary, logprobs: entries } = await collectCompletion(run, true);
        const toolCalls = summary.toolCalls.map((call) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } }));
        return {
            ...header,
            object: "chat.completion" as const,
            choices: [{
                index: 0,
                message: {
                    role: "assistant" as const,
                    content: toolCalls.length > 0 && text.trim() === "" ? null : text,
                    ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
                    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
                    refusal: null
                },
                logprobs: logprobs(entries),
                finish_reason: summary.finishReason
            }],
            usage: openAiUsage(summary),
            timings: llamaServerTimings(summary)
        };
    });
};
