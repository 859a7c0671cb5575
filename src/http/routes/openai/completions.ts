import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { TextCompletionRequest } from "../../../schemas/completionRequests.js";
import { completionResponses } from "../../../schemas/errorEnvelope.js";
import { OpenAiCompletionChunk, OpenAiCompletionResponse } from "../../../schemas/openai/completions.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { chunkSerializer, collectCompletion, completionId, streamCompletion, unixSeconds } from "../completionReplies.js";
import { toTextRequest } from "../generationRequest.js";
import { toCompletionLogprobs } from "../logprobShapes.js";
import { openAiUsage, systemFingerprint } from "./openAiShapes.js";

export const openAiCompletionRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    app.post("/v1/completions", {
        schema: {
            summary: "Create a text completion",
            tags: ["OpenAI-compatible API"],
            body: TextCompletionRequest,
            response: completionResponses(OpenAiCompletionResponse, OpenAiCompletionChunk)
        }
    }, async (request, reply) => {
        const { body } = request;
        const run = await services.inference.complete(toTextRequest(body, request.receivedAt, clientDisconnectSignal(reply)));
        const header = {
            id: completionId("cmpl"), object: "text_completion" as const, created: unixSeconds(), model: run.model.id,
            system_fingerprint: systemFingerprint(run.model)
        };
        const wantsLogprobs = body.logprobs !== undefined && body.logprobs !== null;
        if (body.stream) {
            const includeUsage = body.stream_options?.include_usage === true;
            const usageField = includeUsage ? { usage: null } : {};
            let offset = 0;
            await streamCompletion<OpenAiCompletionChunk>(run, reply, {
                text: (event) => {
                    const logprobs = wantsLogprobs ? toCompletionLogprobs(event.logprobs, offset) : null;
                    offset += event.text.length;
                    return { ...header, choices: [{ index: 0, text: event.text, logprobs, finish_reason: null }], ...usageField };
                },
                finish: (summary, rest) => ({
                    ...header,
                    choices: [{ index: 0, text: "", logprobs: wantsLogprobs && rest.length > 0 ? toCompletionLogprobs(rest, offset) : null, finish_reason: summary.finishReason }],
                    ...usageField
                }),
                totals: (summary) => (includeUsage ? { ...header, choices: [], usage: openAiUsage(summary) } : null)
            }, chunkSerializer(reply, OpenAiCompletionChunk), true);
            return reply;
        }
        const { text, summary, logprobs } = await collectCompletion(run, true);
        return {
            ...header,
            choices: [{ index: 0, text, logprobs: wantsLogprobs ? toCompletionLogprobs(logprobs) : null, finish_reason: summary.finishReason }],
            usage: openAiUsage(summary)
        };
    });
};
