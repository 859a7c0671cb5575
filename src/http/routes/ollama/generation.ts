/**
 * Ollama's `POST /api/chat`, `/api/generate`, `/api/embed` and `/api/embeddings`: NDJSON streams by default,
 * `options` as sampling, `keep_alive` on the lifecycle's idle TTL, `format` through the one schema converter,
 * `think` on the family's reasoning, tools and their calls, Ollama's metrics in nanoseconds.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply } from "fastify";
import { InvalidRequest } from "../../../errors.js";
import type { ReasoningEffort } from "../../../families/ModelFamily.js";
import type { LoadWatcher } from "../../../models/lifecycle/ModelLifecycle.js";
import {
    OllamaChatRequest, OllamaChatResponse, OllamaEmbeddingsRequest, OllamaEmbeddingsResponse, OllamaEmbedRequest, OllamaEmbedResponse,
    OllamaGenerateRequest, OllamaGenerateResponse, type OllamaMessage
} from "../../../schemas/ollama/generation.js";
import { OllamaError } from "../../../schemas/ollama/models.js";
import type { ChatTurn } from "../../../services/chatPrompt.js";
import type { CompletionRun, CompletionSummary, GenerationRequest, ResponseFormat } from "../../../services/InferenceService.js";
import type { SamplingParams } from "../../../engine/protocol.js";
import { withoutUndefined } from "../../../services/withoutUndefined.js";
import type { RouteDependencies, Services } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { startEventStream } from "../../sse.js";
import { callArgumentsObject, chunkSerializer, collectCompletion, throwIfEndedByServer, writeEventStream } from "../completionReplies.js";
import { dialectChatRequest } from "../generationRequest.js";
import { keepAliveTerms, parseKeepAlive } from "./keepAlive.js";
import { findOllamaModel } from "./ollamaShapes.js";

type Options = NonNullable<OllamaChatRequest["options"]>;
type Common = Pick<OllamaChatRequest, "model" | "format" | "keep_alive" | "think" | "options" | "stream">;

const nanoseconds = (seconds: number) => Math.max(0, Math.round(seconds * 1e9));

const noImages = (param: string) => new InvalidRequest("Images are not supported: lmhost's models read text only (no vision yet).", param, "unsupported_content");

function sampling(options: Options | undefined): Partial<SamplingParams> {
    if (options === undefined) return {};
    const lastN = options.repeat_last_n;
    return withoutUndefined({
        temperature: options.temperature, topK: options.top_k, topP: options.top_p, minP: options.min_p,
        repeatPenalty: options.repeat_penalty, presencePenalty: options.presence_penalty, frequencyPenalty: options.frequency_penalty,
        seed: options.seed, repeatLastN: lastN === -1 ? Number.MAX_SAFE_INTEGER : lastN
    });
}

function responseFormat(format: Common["format"]): ResponseFormat {
    if (format === undefined || format === "") return { type: "text" };
    return format === "json" ? { type: "json_object" } : { type: "json_schema", schema: format };
}

/** `think`: false turns reasoning off, a level sets it, true and absent leave the model's default. */
function reasoningEffort(think: Common["think"]): ReasoningEffort | null {
    if (think === false) return "none";
    return think === undefined || think === true ? null : think;
}

/** Times a load the request waits for, for load_duration. */
class LoadTimer implements LoadWatcher {
    private startedAt: number | null = null;
    seconds = 0;
    started(): void {
        this.startedAt = performance.now();
    }
    progress(): void {}
    /** Called once the request holds its model. */
    ended(): void {
        if (this.startedAt !== null) this.seconds = (performance.now() - this.startedAt) / 1000;
    }
}

/** What every generation request of this API shares: the model (by its Ollama name), limits, sampling, keep_alive. */
async function generationFields(services: Services, body: Common, receivedAt: number) {
    const model = (await findOllamaModel(services.models, body.model, "run")).id;
    const predict = body.options?.num_predict;
    const loadTimer = new LoadTimer();
    const fields: Pick<GenerationRequest, "model" | "maxTokens" | "stop" | "sampling" | "stream" | "responseFormat"> &
        Partial<Pick<GenerationRequest, "ttlSeconds" | "keepAliveSeconds" | "contextLength" | "loadWatcher">> = {
        model,
        maxTokens: predict === undefined || predict < 0 ? null : predict,
        stop: body.options?.stop ?? [],
        sampling: sampling(body.options),
        stream: body.stream !== false,
        responseFormat: responseFormat(body.format),
        loadWatcher: loadTimer,
        ...keepAliveTerms(body.keep_alive),
        ...(body.options?.num_ctx !== undefined ? { contextLength: body.options.num_ctx } : {})
    };
    return { fields, loadTimer, receivedAt };
}

/** Ollama's messages as chat turns: a tool message answers the latest call of its tool_name. */
export function toChatTurns(messages: OllamaMessage[]): ChatTurn[] {
    const callIds = new Map<string, string>();
    let calls = 0;
    return messages.map((message, index) => {
        if (message.images !== undefined && message.images !== null && message.images.length > 0) throw noImages(`messages[${index}].images`);
        const content = message.content ?? "";
        if (message.role === "tool") {
            const id = message.tool_name === undefined ? undefined : callIds.get(message.tool_name);
            return { role: "tool", content, ...(id !== undefined ? { toolCallId: id } : {}), ...(message.tool_name !== undefined ? { name: message.tool_name } : {}) };
        }
        const toolCalls = (message.tool_calls ?? []).map((call) => {
            const id = call.id ?? `call_${calls++}`;
            callIds.set(call.function.name, id);
            return { id, name: call.function.name, arguments: JSON.stringify(call.function.arguments) };
        });
        return { role: message.role, content, ...(toolCalls.length > 0 ? { toolCalls } : {}) };
    });
}

function doneReason(summary: CompletionSummary): "stop" | "length" {
    return summary.finishReason === "length" ? "length" : "stop";
}

function metrics(summary: CompletionSummary, loadSeconds: number, receivedAt: number) {
    return {
        total_duration: nanoseconds((performance.now() - receivedAt) / 1000),
        load_duration: nanoseconds(loadSeconds),
        prompt_eval_count: summary.promptTokens,
        prompt_eval_duration: nanoseconds(summary.timeToFirstToken - loadSeconds),
        eval_count: summary.completionTokens,
        eval_duration: nanoseconds(summary.generationTime)
    };
}

const toolCalls = (summary: CompletionSummary) => summary.toolCalls.map((call, index) => ({ id: call.id, function: { index, name: call.name, arguments: callArgumentsObject(call.arguments) } }));

/**
 * A request with nothing to generate loads the model (done_reason "load"), or unloads it with keep_alive 0
 * ("unload"), as Ollama does: clients preload models this way.
 */
async function loadOnly(services: Services, body: Common) {
    const unload = body.keep_alive !== undefined && parseKeepAlive(body.keep_alive) === 0;
    const model = await findOllamaModel(services.models, body.model, "run");
    if (unload) {
        for (const instance of model.instances) await services.models.unload(instance.id).catch(() => undefined);
        return "unload" as const;
    }
    await services.inference.preload(model.id, { ...keepAliveTerms(body.keep_alive), ...withoutUndefined({ contextLength: body.options?.num_ctx }) });
    return "load" as const;
}

/** Writes a run as Ollama's NDJSON stream or its one answer; `piece` shapes a delta of text or reasoning. */
async function reply<Answer extends { done: boolean }>(reply: FastifyReply, run: CompletionRun, stream: boolean, schema: typeof OllamaChatResponse | typeof OllamaGenerateResponse,
    shapes: {
        piece(text: string, reasoning: string): Answer;
        final(text: string, reasoning: string, summary: CompletionSummary): Answer;
        calls?(summary: CompletionSummary): Answer | null;
    }): Promise<Answer | FastifyReply> {
    if (!stream) {
        const { text, reasoning, summary } = await collectCompletion(run, true);
        return shapes.final(text, reasoning, summary);
    }
    const events = startEventStream(reply, chunkSerializer(reply, schema) as unknown as (chunk: Answer) => string, { framing: "ndjson" });
    await writeEventStream(reply, events, async () => {
        for await (const event of run.events) {
            if (event.type === "text" && event.text !== "") await events.send(shapes.piece(event.text, ""));
            else if (event.type === "reasoning" && event.text !== "") await events.send(shapes.piece("", event.text));
            else if (event.type === "end") {
                throwIfEndedByServer(event.summary);
                const calls = shapes.calls?.(event.summary) ?? null;
                if (calls !== null) await events.send(calls);
                await events.send(shapes.final("", "", event.summary));
            }
        }
    });
    return reply;
}

export const ollamaGenerationRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["Ollama API"];
    const errors = { "4xx": OllamaError, "5xx": OllamaError };
    const createdAt = () => new Date().toISOString();

    app.post("/api/chat", {
        schema: {
            summary: "Chat (Ollama): NDJSON stream by default, tools, format, think, keep_alive", tags, body: OllamaChatRequest,
            response: { 200: OllamaChatResponse, ...errors }
        }
    }, async (request, replyTo) => {
        const { body } = request;
        const messages = body.messages ?? [];
        if (messages.length === 0) {
            const reason = await loadOnly(services, body);
            return { model: body.model, created_at: createdAt(), message: { role: "assistant" as const, content: "" }, done: true, done_reason: reason };
        }
        const { fields, loadTimer, receivedAt } = await generationFields(services, body, request.receivedAt);
        const run = await services.inference.chat(dialectChatRequest({
            ...fields,
            messages: toChatTurns(messages),
            tools: (body.tools ?? []).map((tool) => ({ name: tool.function.name, ...withoutUndefined({ description: tool.function.description, parameters: tool.function.parameters }) })),
            toolChoice: "auto",
            parallelToolCalls: true,
            reasoningEffort: reasoningEffort(body.think)
        }, receivedAt, clientDisconnectSignal(replyTo)));
        loadTimer.ended();
        const message = (content: string, thinking: string) => ({ role: "assistant" as const, content, ...(thinking !== "" ? { thinking } : {}) });
        return reply<OllamaChatResponse>(replyTo, run, fields.stream, OllamaChatResponse, {
            piece: (text, reasoning) => ({ model: body.model, created_at: createdAt(), message: message(text, reasoning), done: false }),
            calls: (summary) => (summary.toolCalls.length === 0 ? null
                : { model: body.model, created_at: createdAt(), message: { ...message("", ""), tool_calls: toolCalls(summary) }, done: false }),
            final: (text, reasoning, summary) => ({
                model: body.model, created_at: createdAt(),
                message: { ...message(text, reasoning), ...(summary.toolCalls.length > 0 && !fields.stream ? { tool_calls: toolCalls(summary) } : {}) },
                done: true, done_reason: doneReason(summary), ...metrics(summary, loadTimer.seconds, receivedAt)
            })
        });
    });

    app.post("/api/generate", {
        schema: {
            summary: "Generate from a prompt (Ollama): through the chat template, or as is with raw", tags, body: OllamaGenerateRequest,
            response: { 200: OllamaGenerateResponse, ...errors }
        }
    }, async (request, replyTo) => {
        const { body } = request;
        if (body.images !== undefined && body.images !== null && body.images.length > 0) throw noImages("images");
        for (const [field, value] of [["suffix", body.suffix], ["template", body.template]] as const) {
            if (value !== undefined && value !== "") {
                throw new InvalidRequest(field === "suffix" ? "suffix (fill-in-the-middle) is not supported." : "template is not supported: lmhost renders each model's own chat template; send raw: true with a prompt you rendered yourself.", field, "unsupported_parameter");
            }
        }
        if (body.context !== undefined && body.context.length > 0) {
            throw new InvalidRequest("context is not supported: send the conversation to /api/chat instead.", "context", "unsupported_parameter");
        }
        const prompt = body.prompt ?? "";
        if (prompt === "") {
            const reason = await loadOnly(services, body);
            return { model: body.model, created_at: createdAt(), response: "", done: true, done_reason: reason };
        }
        const { fields, loadTimer, receivedAt } = await generationFields(services, body, request.receivedAt);
        const signal = clientDisconnectSignal(replyTo);
        const run = body.raw === true
            ? await services.inference.complete({ ...fields, prompt, logprobs: null, logitBias: {}, cachePrompt: true, receivedAt, signal })
            : await services.inference.chat(dialectChatRequest({
                ...fields,
                messages: [...(body.system !== undefined && body.system !== "" ? [{ role: "system" as const, content: body.system }] : []), { role: "user", content: prompt }],
                tools: [], toolChoice: "none", parallelToolCalls: false, reasoningEffort: reasoningEffort(body.think)
            }, receivedAt, signal));
        loadTimer.ended();
        const thinking = (text: string) => (text !== "" ? { thinking: text } : {});
        return reply<OllamaGenerateResponse>(replyTo, run, fields.stream, OllamaGenerateResponse, {
            piece: (text, reasoning) => ({ model: body.model, created_at: createdAt(), response: text, ...thinking(reasoning), done: false }),
            final: (text, reasoning, summary) => ({
                model: body.model, created_at: createdAt(), response: text, ...thinking(reasoning),
                done: true, done_reason: doneReason(summary), ...metrics(summary, loadTimer.seconds, receivedAt)
            })
        });
    });

    app.post("/api/embed", {
        schema: { summary: "Embed one or more inputs (Ollama); vectors L2-normalized", tags, body: OllamaEmbedRequest, response: { 200: OllamaEmbedResponse, ...errors } }
    }, async (request, replyTo) => {
        const { body } = request;
        const model = (await findOllamaModel(services.models, body.model, "run")).id;
        const loadedBefore = services.models.instances().some((instance) => instance.entry.id === model);
        const started = performance.now();
        const result = await services.inference.embed(model, typeof body.input === "string" ? [body.input] : body.input, clientDisconnectSignal(replyTo),
            { ...withoutUndefined({ dimensions: body.dimensions }), ...keepAliveTerms(body.keep_alive) });
        const instance = services.models.instances().find((candidate) => candidate.entry.id === model);
        return {
            model: body.model, embeddings: result.vectors,
            total_duration: nanoseconds((performance.now() - request.receivedAt) / 1000),
            load_duration: loadedBefore || instance === undefined ? 0 : nanoseconds(Math.min(instance.loadSeconds, (performance.now() - started) / 1000)),
            prompt_eval_count: result.promptTokens
        };
    });

    app.post("/api/embeddings", {
        schema: { summary: "Embed one prompt (Ollama's older route)", tags, body: OllamaEmbeddingsRequest, response: { 200: OllamaEmbeddingsResponse, ...errors } }
    }, async (request, replyTo) => {
        const { body } = request;
        const model = (await findOllamaModel(services.models, body.model, "run")).id;
        const result = await services.inference.embed(model, [body.prompt], clientDisconnectSignal(replyTo), keepAliveTerms(body.keep_alive));
        return { embedding: result.vectors[0]! };
    });
};
