import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { V0CompletionChunk, V0CompletionRequest, V0CompletionResponse } from "../../../schemas/v0/completions.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { chunkSerializer, collectCompletion, completionId, streamCompletion, unixSeconds } from "../completionReplies.js";
import { toGenerationRequest } from "../generationRequest.js";
import { v0Totals } from "./v0Shapes.js";

export const v0CompletionRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.post("/api/v0/completions", {
        schema: {
            summary: "Text completions (prompt -> completion)",
            body: V0CompletionRequest,
            response: { 200: V0CompletionResponse, "4xx": ErrorEnvelope, "5xx": ErrorEnvelope }
        }
    }, async (request, reply) => {
        const run = await services.inference.complete({
            ...toGenerationRequest(request.body, request.receivedAt, clientDisconnectSignal(reply)),
            prompt: request.body.prompt
        });
        const header = { id: completionId("cmpl"), object: "text_completion" as const, created: unixSeconds(), model: run.model.id };
        if (request.body.stream) {
            await streamCompletion<V0CompletionChunk>(run, reply, {
                text: (text) => ({ ...header, choices: [{ index: 0, text, logprobs: null, finish_reason: null }] }),
                finish: (summary) => ({ ...header, choices: [{ index: 0, text: "", logprobs: null, finish_reason: summary.finishReason }] }),
                totals: (summary) => ({ ...header, choices: [], ...v0Totals(run.model, summary) })
            }, chunkSerializer(reply, V0CompletionChunk));
            return reply;
        }
        const { text, summary } = await collectCompletion(run);
        return {
            ...header,
            choices: [{ index: 0, text, logprobs: null, finish_reason: summary.finishReason }],
            ...v0Totals(run.model, summary)
        };
    });
};
