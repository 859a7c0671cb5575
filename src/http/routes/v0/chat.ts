import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ChatCompletionRequest } from "../../../schemas/completionRequests.js";
import { completionResponses } from "../../../schemas/errorEnvelope.js";
import { V0ChatChunk, V0ChatResponse } from "../../../schemas/v0/chat.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { chunkSerializer, collectCompletion, completionId, streamCompletion, unixSeconds } from "../completionReplies.js";
import { toChatRequest } from "../generationRequest.js";
import { toChatLogprobs } from "../logprobShapes.js";
import { v0Totals } from "./v0Shapes.js";

/**
 * LM Studio's v0 chat: its message has only role and content, so the text stays as the model wrote it
 * (tool calls in the model's own markup, reasoning included); /v1 returns them parsed.
 */
export const v0ChatRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.post("/api/v0/chat/completions", {
        schema: {
            summary: "Chat completions (messages -> assistant response)",
            tags: ["LM Studio REST API v0"],
            body: ChatCompletionRequest,
            response: completionResponses(V0ChatResponse, V0ChatChunk)
        }
    }, async (request, reply) => {
        const run = await services.inference.chat(toChatRequest(request.body, request.receivedAt, clientDisconnectSignal(reply), false));
        const header = { id: completionId("chatcmpl"), created: unixSeconds(), model: run.model.id };
        const logprobs = (entries: Parameters<typeof toChatLogprobs>[0]) => (request.body.logprobs ? toChatLogprobs(entries) : null);
        if (request.body.stream) {
            const base = { ...header, object: "chat.completion.chunk" as const };
            await streamCompletion<V0ChatChunk>(run, reply, {
                text: (event, first) => ({
                    ...base,
                    choices: [{ index: 0, delta: first ? { role: "assistant", content: event.text } : { content: event.text }, logprobs: logprobs(event.logprobs), finish_reason: null }]
                }),
                finish: (summary, rest) => ({ ...base, choices: [{ index: 0, delta: {}, logprobs: logprobs(rest), finish_reason: summary.finishReason }] }),
                totals: (summary) => ({ ...base, choices: [], ...v0Totals(run.model, summary) })
            }, chunkSerializer(reply, V0ChatChunk));
            return reply;
        }
        const { text, summary, logprobs: entries } = await collectCompletion(run);
        return {
            ...header,
            object: "chat.completion" as const,
            choices: [{ index: 0, logprobs: logprobs(entries), finish_reason: summary.finishReason, message: { role: "assistant", content: text } }],
            ...v0Totals(run.model, summary)
        };
    });
};
