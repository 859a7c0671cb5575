/**
 * LM Studio 0.4's native chat, `POST /api/v1/chat`: a message in, output items and stats out; stateful through
 * `previous_response_id`; streamed as LM Studio's named events, with the model's load and the prompt's
 * evaluation reported as they progress (from the engine: the weights read, the prompt's batches decoded).
 * MCP integrations are not supported: a request with any is a 400.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { InvalidRequest, ResponseNotFound } from "../../../errors.js";
import type { ReasoningEffort } from "../../../families/ModelFamily.js";
import { completionResponses, ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { V1ChatEvent, V1ChatRequest, V1ChatResponse } from "../../../schemas/v1/chat.js";
import type { ChatTurn } from "../../../services/chatPrompt.js";
import type { CompletionRun, CompletionSummary } from "../../../services/InferenceService.js";
import { newStoredId } from "../../../services/ResponseStore.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { startEventStream, type EventStream } from "../../sse.js";
import { chunkSerializer, collectCompletion, throwIfEndedByServer, writeEventStream } from "../completionReplies.js";
import { dialectChatRequest } from "../generationRequest.js";

const reasoningEfforts: Record<NonNullable<V1ChatRequest["reasoning"]>, ReasoningEffort> = { off: "none", low: "low", medium: "medium", high: "high", on: "high" };

/** LM Studio's error types, by HTTP status. */
const errorType = (status: number) => (status === 404 ? "model_not_found" : status < 500 ? "invalid_request" : "internal_error");

function stats(summary: CompletionSummary, loadSeconds: number | null): V1ChatResponse["stats"] {
    return {
        input_tokens: summary.promptTokens,
        total_output_tokens: summary.completionTokens,
        reasoning_output_tokens: 0,
        tokens_per_second: summary.tokensPerSecond,
        time_to_first_token_seconds: summary.timeToFirstToken,
        ...(loadSeconds !== null ? { model_load_time_seconds: loadSeconds } : {})
    };
}

export const v1ChatRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const conversations = services.storedChats;

    app.post("/api/v1/chat", {
        schema: {
            summary: "Chat with a model (LM Studio's native v1 chat: stateful, with load and prompt progress when streamed)",
            tags: ["LM Studio REST API v1 (chat)"], body: V1ChatRequest,
            response: completionResponses(V1ChatResponse, V1ChatEvent, ErrorEnvelope,
                "server-sent events, each an `event:` line naming its type and a `data:` line, from chat.start to chat.end")
        }
    }, async (request, reply) => {
        const { body } = request;
        const earlier = body.previous_response_id === undefined ? [] : conversations.get(body.previous_response_id)?.conversation;
        if (earlier === undefined) throw new ResponseNotFound(body.previous_response_id!, "previous_response_id");
        if (body.integrations !== undefined && body.integrations.length > 0) {
            throw new InvalidRequest("MCP integrations (plugins, ephemeral MCP servers) are not supported by lmhost; leave out integrations.", "integrations", "unsupported_integrations");
        }
        const input: ChatTurn[] = typeof body.input === "string" ? [{ role: "user", content: body.input }]
            : body.input.map((item) => ({ role: item.role ?? "user", content: item.content }));
        const messages = [...(body.system_prompt !== undefined && earlier.length === 0 ? [{ role: "system" as const, content: body.system_prompt }] : []), ...earlier, ...input];
        // The stream starts once there is something to say: a load to wait for, or the generation; errors before
        // that are plain JSON answers.
        let stream: EventStream<V1ChatEvent> | null = null;
        const events = () => stream ??= startEventStream(reply, chunkSerializer(reply, V1ChatEvent), {
            eventOf: (event) => event.type,
            doneMarker: null,
            error: (failure) => ({
                event: "error",
                data: JSON.stringify({ type: "error", error: { type: errorType(failure.status), message: failure.body.error.message, ...(failure.body.error.code ? { code: failure.body.error.code } : {}) } })
            })
        });
        // Set from the load watcher's callbacks, which TypeScript's narrowing does not see.
        let loading = null as { instanceId: string; startedAt: number } | null;
        const send = (event: V1ChatEvent) => (body.stream ? events().send(event) : undefined);
        const chat = dialectChatRequest({
            model: body.model,
            maxTokens: body.max_output_tokens ?? null,
            stop: [],
            sampling: { temperature: body.temperature, topP: body.top_p, topK: body.top_k, minP: body.min_p, repeatPenalty: body.repeat_penalty },
            stream: body.stream === true,
            messages,
            tools: [],
            toolChoice: "none",
            parallelToolCalls: false,
            reasoningEffort: body.reasoning === undefined ? null : reasoningEfforts[body.reasoning]
        }, request.receivedAt, clientDisconnectSignal(reply));
        const run: CompletionRun | Error = await services.inference.chat({
            ...chat,
            ...(body.context_length !== undefined ? { contextLength: body.context_length } : {}),
            reportPromptProgress: body.stream === true,
            loadWatcher: {
                started: (instanceId) => {
                    loading = { instanceId, startedAt: performance.now() };
                    void send({ type: "chat.start", model_instance_id: instanceId });
                    void send({ type: "model_load.start", model_instance_id: instanceId });
                },
                progress: (progress) => {
                    if (loading !== null) void send({ type: "model_load.progress", model_instance_id: loading.instanceId, progress });
                }
            }
        }).catch((error: Error) => {
            if (stream === null) throw error;
            return error;
        });
        const loadSeconds = loading === null ? null : (performance.now() - loading.startedAt) / 1000;
        const remember = (summary: CompletionSummary, output: V1ChatResponse["output"], modelInstanceId: string): V1ChatResponse => {
            const reply: V1ChatResponse = { model_instance_id: modelInstanceId, output, stats: stats(summary, loadSeconds) };
            if (body.store === false) return reply;
            const id = newStoredId();
            const answer = output.filter((item) => item.type === "message").map((item) => item.content).join("");
            conversations.put(id, { response: null, input, conversation: [...messages, { role: "assistant", content: answer }] });
            return { ...reply, response_id: id };
        };
        if (!body.stream) {
            if (run instanceof Error) throw run;
            const { text, reasoning, summary } = await collectCompletion(run, true);
            return remember(summary, [...(reasoning !== "" ? [{ type: "reasoning" as const, content: reasoning }] : []), { type: "message", content: text }], run.model.id);
        }
        await writeEventStream(reply, events(), async () => {
            if (run instanceof Error) throw run;
            if (loading === null) await send({ type: "chat.start", model_instance_id: run.model.id });
            else await send({ type: "model_load.end", model_instance_id: run.model.id, load_time_seconds: loadSeconds! });
            let open: "reasoning" | "message" | null = null;
            let prompt = "waiting" as "waiting" | "processing" | "done";
            const switchTo = async (kind: "reasoning" | "message" | null) => {
                if (open === kind) return;
                if (open !== null) await send({ type: `${open}.end` });
                if (kind !== null) await send({ type: `${kind}.start` });
                open = kind;
            };
            const endPrompt = async () => {
                if (prompt === "processing") await send({ type: "prompt_processing.end" });
                prompt = "done";
            };
            let text = "";
            let reasoning = "";
            for await (const event of run.events) {
                if (event.type === "promptProgress") {
                    if (prompt === "done") continue;
                    if (prompt === "waiting") await send({ type: "prompt_processing.start" });
                    prompt = "processing";
                    await send({ type: "prompt_processing.progress", progress: event.total === 0 ? 1 : event.evaluated / event.total });
                    if (event.evaluated >= event.total) await endPrompt();
                } else if (event.type === "reasoning") {
                    await endPrompt();
                    await switchTo("reasoning");
                    reasoning += event.text;
                    await send({ type: "reasoning.delta", content: event.text });
                } else if (event.type === "text" && event.text !== "") {
                    await endPrompt();
                    await switchTo("message");
                    text += event.text;
                    await send({ type: "message.delta", content: event.text });
                } else if (event.type === "end") {
                    throwIfEndedByServer(event.summary);
                    await endPrompt();
                    await switchTo(null);
                    const output = [...(reasoning !== "" ? [{ type: "reasoning" as const, content: reasoning }] : []), { type: "message" as const, content: text }];
                    await send({ type: "chat.end", result: remember(event.summary, output, run.model.id) });
                }
            }
        });
        return reply;
    });
};
