import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { TextCompletionRequest } from "../../../schemas/completionRequests.js";
import { completionResponses } from "../../../schemas/errorEnvelope.js";
import { V0CompletionChunk, V0CompletionResponse } from "../../../schemas/v0/completions.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { chunkSerializer, collectCompletion, completionId, streamCompletion, unixSeconds } from "../completionReplies.js";
import { toTextRequest } from "../generationRequest.js";
import { toCompletionLogprobs } from "../logprobShapes.js";
import { v0Totals } from "./v0Shapes.js";

export const v0CompletionRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.post("/api/v0/completions", {
        schema: {
            summary: "Text completions (prompt -> completion)",
            tags: ["LM Studio REST API v0"],
            body: TextCompletionRequest,
            response: completionResponses(V0CompletionResponse, V0CompletionChunk)
        }
    }, async (request, reply) => {
        const run = await services.inference.complete(toTextRequest(request.body, request.receivedAt, clientDisconnectSignal(reply)));
        const header = { id: completionId("cmpl"), object: "text_completion" as const, created: unixSeconds(), model: run.model.id };
        const wantsLogprobs = request.body.logprobs !== undefined && request.body.logprobs !== null;
        if (request.body.stream) {
            let offset = 0;
            await streamCompletion<V0CompletionChunk>(run, reply, {
                text: (event) => {
                    const logprobs = wantsLogprobs ? toCompletionLogprobs(event.logprobs, offset) : null;
                    offset += event.text.length;
                    return { ...header, choices: [{ index: 0, text: event.text, logprobs, finish_reason: null }] };
                },
                finish: (summary, rest) => ({
                    ...header, choices: [{ index: 0, text: "", logprobs: wantsLogprobs ? toCompletionLogprobs(rest, offset) : null, finish_reason: summary.finishReason }]
                }),
                totals: (summary) => ({ ...header, choices: [], ...v0Totals(run.model, summary) })
            }, chunkSerializer(reply, V0CompletionChunk));
            return reply;
        }
        const { text, summary, logprobs } = await collectCompletion(run);
        return {
            ...header,
            choices: [{ index: 0, text, logprobs: wantsLogprobs ? toCompletionLogprobs(logprobs) : null, finish_reason: summary.finishReason }],
            ...v0Totals(run.model, summary)
        };
    });
};
