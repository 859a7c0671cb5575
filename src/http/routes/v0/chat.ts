import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { V0ChatChunk, V0ChatRequest, V0ChatResponse } from "../../../schemas/v0/chat.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { chunkSerializer, collectCompletion, completionId, streamCompletion, unixSeconds } from "../completionReplies.js";
import { toChatTurns, toGenerationRequest } from "../generationRequest.js";
import { v0Totals } from "./v0Shapes.js";

export const v0ChatRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.post("/api/v0/chat/completions", {
        schema: {
            summary: "Chat completions (messages -> assistant response)",
            body: V0ChatRequest,
            response: { 200: V0ChatResponse, "4xx": ErrorEnvelope, "5xx": ErrorEnvelope }
        }
    }, async (request, reply) => {
        const run = await services.inference.chat({
            ...toGenerationRequest(request.body, request.receivedAt, clientDisconnectSignal(reply)),
            messages: toChatTurns(request.body.messages)
        });
        const header = { id: completionId("chatcmpl"), created: unixSeconds(), model: run.model.id };
        if (request.body.stream) {
            const base = { ...header, object: "chat.completion.chunk" as const };
            await streamCompletion<V0ChatChunk>(run, reply, {
                text: (text, first) => ({
                    ...base,
                    choices: [{ index: 0, delta: first ? { role: "assistant", content: text } : { content: text }, logprobs: null, finish_reason: null }]
                }),
                finish: (summary) => ({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: summary.finishReason }] }),
                totals: (summary) => ({ ...base, choices: [], ...v0Totals(run.model, summary) })
            }, chunkSerializer(reply, V0ChatChunk));
            return reply;
        }
        const { text, summary } = await collectCompletion(run);
        return {
            ...header,
            object: "chat.completion" as const,
            choices: [{ index: 0, logprobs: null, finish_reason: summary.finishReason, message: { role: "assistant", content: text } }],
            ...v0Totals(run.model, summary)
        };
    });
};
