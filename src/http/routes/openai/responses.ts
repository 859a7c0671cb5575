/**
 * OpenAI's Responses API, which Codex and the `openai` SDK's `responses` speak: `POST /v1/responses` (streaming
 * or not), `GET` and `DELETE /v1/responses/{id}`, `GET /v1/responses/{id}/input_items` and
 * `POST /v1/responses/input_tokens`. Stored responses (the server's ResponseStore, in memory and with
 * `--responses-dir` on disk) carry conversations on through `previous_response_id`.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { InvalidRequest, ResponseNotFound } from "../../../errors.js";
import { completionResponses, ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import {
    CreateResponseRequest, DeletedResponse, InputItemList, InputTokensRequest, InputTokensResponse, ResponseObject, ResponseStreamEvent,
    type ResponseInputItem, type ResponseOutputItem
} from "../../../schemas/openai/responses.js";
import type { ChatTurn } from "../../../services/chatPrompt.js";
import type { ChatRequest, CompletionSummary, ResponseFormat, ToolChoice } from "../../../services/InferenceService.js";
import { newStoredId } from "../../../services/ResponseStore.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { startEventStream } from "../../sse.js";
import { chunkSerializer, collectCompletion, throwIfEndedByServer, unixSeconds, writeEventStream } from "../completionReplies.js";
import { dialectChatRequest } from "../generationRequest.js";

type Conversation = InputTokensRequest & Partial<CreateResponseRequest>;
/** An event before the stream numbers it (distributed over the union of events). */
type Unnumbered<T> = T extends unknown ? Omit<T, "sequence_number"> : never;
/** An input item as stored: with an id, the client's or one given here. */
export type ResponseItem = ResponseInputItem & { id: string };
type Item = ResponseItem;

const newId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;


/** The conversation as chat turns: instructions first, messages by role, function calls on the assistant turn before their outputs. */
function toChatTurns(instructions: string | null | undefined, items: ResponseInputItem[]): ChatTurn[] {
    const turns: ChatTurn[] = instructions ? [{ role: "system", content: instructions }] : [];
    items.forEach((item, index) => {
        if (item.type === "function_call") {
            const last = turns[turns.length - 1];
            const call = { id: item.call_id, name: item.name, arguments: item.arguments };
            if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), call];
            else turns.push({ role: "assistant", content: "", toolCalls: [call] });
        } else if (item.type === "function_call_output") {
            const output = typeof item.output === "string" ? item.output : item.output.map((part) => part.text).join("\n");
            turns.push({ role: "tool", content: output, toolCallId: item.call_id });
        } else if (item.type === "reasoning") {
            // Earlier reasoning is not sent back to the model, as the families' templates drop it.
        } else {
            const content = typeof item.content === "string" ? item.content : item.content.map((part, partIndex) => {
                if (part.type === "input_text" || part.type === "output_text") return part.text;
                throw new InvalidRequest(`Input parts of type '${part.type}' are not supported: lmhost's models read text only (no vision yet).`,
                    `input[${index}].content[${partIndex}].type`, "unsupported_content");
            }).join("\n");
            turns.push({ role: item.role === "developer" ? "system" : item.role, content });
        }
    });
    return turns;
}

function toolChoice(choice: Conversation["tool_choice"]): ToolChoice {
    if (choice === undefined) return "auto";
    return typeof choice === "string" ? choice : { name: choice.name };
}

function responseFormat(format: NonNullable<Conversation["text"]>["format"]): ResponseFormat {
    if (format === undefined || format.type === "text") return { type: "text" };
    return format.type === "json_object" ? { type: "json_object" } : { type: "json_schema", schema: format.schema };
}

const withIds = (items: ResponseInputItem[]): Item[] => items.map((item) => ({
    ...item, id: item.id ?? newId(item.type === "function_call" ? "fc" : item.type === "function_call_output" ? "fco" : item.type === "reasoning" ? "rs" : "msg")
}) as Item);

/** The output items as input items of a next turn. */
function asInput(output: ResponseOutputItem[]): Item[] {
    return output.map((item): Item => item.type === "message"
        ? { type: "message", id: item.id, role: "assistant", content: item.content.map((part) => ({ type: "output_text" as const, text: part.text })) }
        : item.type === "function_call"
            ? { type: "function_call", id: item.id, call_id: item.call_id, name: item.name, arguments: item.arguments }
            : { type: "reasoning", id: item.id, summary: [], content: item.content });
}

export const openAiResponseRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["OpenAI Responses API"];
    const errors = { "4xx": ErrorEnvelope, "5xx": ErrorEnvelope };
    const store = services.storedResponses;

    /** The request's input after the stored conversation it continues. */
    const conversationOf = (body: Conversation): { earlier: Item[]; input: Item[] } => {
        const earlier = body.previous_response_id ? store.get(body.previous_response_id)?.conversation : [];
        if (earlier === undefined) throw new ResponseNotFound(body.previous_response_id!, "previous_response_id");
        const input = withIds(typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : body.input);
        return { earlier, input };
    };
    const toChatRequest = (body: Conversation, items: Item[], receivedAt: number, signal: AbortSignal): ChatRequest => dialectChatRequest({
        model: body.model,
        maxTokens: body.max_output_tokens ?? null,
        stop: [],
        sampling: { ...(body.temperature != null ? { temperature: body.temperature } : {}), ...(body.top_p != null ? { topP: body.top_p } : {}) },
        responseFormat: responseFormat(body.text?.format),
        stream: body.stream === true,
        messages: toChatTurns(body.instructions, items),
        tools: (body.tools ?? []).map((tool) => ({
            name: tool.name, ...(tool.description ? { description: tool.description } : {}), ...(tool.parameters ? { parameters: tool.parameters } : {})
        })),
        toolChoice: toolChoice(body.tool_choice),
        parallelToolCalls: body.parallel_tool_calls ?? true,
        reasoningEffort: body.reasoning?.effort ?? null
    }, receivedAt, signal);

    app.post("/v1/responses", {
        schema: {
            summary: "Create a model response (OpenAI's Responses API: function tools, text formats, reasoning, stored conversations)", tags,
            body: CreateResponseRequest,
            response: completionResponses(ResponseObject, ResponseStreamEvent, ErrorEnvelope,
                "server-sent events, each an `event:` line naming its type and a `data:` line with its `sequence_number`, from response.created to response.completed")
        }
    }, async (request, reply) => {
        const { body } = request;
        const { earlier, input } = conversationOf(body);
        const run = await services.inference.chat(toChatRequest(body, [...earlier, ...input], request.receivedAt, clientDisconnectSignal(reply)));
        // The store's format: only its ids may name files in the responses folder.
        const id = newStoredId();
        const createdAt = unixSeconds();
        const shape = (status: ResponseObject["status"], output: ResponseOutputItem[], summary: CompletionSummary | null): ResponseObject => ({
            id, object: "response", created_at: createdAt, status, error: null,
            incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
            instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null, model: run.model.id, output,
            parallel_tool_calls: body.parallel_tool_calls ?? true, previous_response_id: body.previous_response_id ?? null,
            reasoning: { effort: body.reasoning?.effort ?? null, summary: null }, store: body.store !== false,
            temperature: body.temperature ?? null, text: { format: body.text?.format ?? { type: "text" } },
            tool_choice: body.tool_choice ?? "auto", tools: body.tools ?? [], top_p: body.top_p ?? null, truncation: "disabled",
            usage: summary === null ? null : {
                input_tokens: summary.promptTokens, input_tokens_details: { cached_tokens: summary.cachedPromptTokens },
                output_tokens: summary.completionTokens, output_tokens_details: { reasoning_tokens: 0 },
                total_tokens: summary.promptTokens + summary.completionTokens
            },
            metadata: body.metadata ?? {}
        });
        const statusOf = (summary: CompletionSummary) => (summary.finishReason === "length" ? "incomplete" as const : "completed" as const);
        const keep = (response: ResponseObject) => {
            if (body.store !== false) store.put(id, { response, input, conversation: [...earlier, ...input, ...asInput(response.output)] });
            return response;
        };
        if (body.stream !== true) {
            const { text, reasoning, summary } = await collectCompletion(run, true);
            const output: ResponseOutputItem[] = [
                ...(reasoning !== "" ? [{ type: "reasoning" as const, id: newId("rs"), summary: [], content: [{ type: "reasoning_text" as const, text: reasoning }] }] : []),
                ...(text !== "" || summary.toolCalls.length === 0 ? [{
                    type: "message" as const, id: newId("msg"), status: "completed", role: "assistant" as const,
                    content: [{ type: "output_text" as const, text, annotations: [], logprobs: [] }]
                }] : []),
                ...summary.toolCalls.map((call) => ({
                    type: "function_call" as const, id: newId("fc"), call_id: call.id, name: call.name, arguments: call.arguments, status: "completed"
                }))
            ];
            return keep(shape(statusOf(summary), output, summary));
        }
        let sequence = 0;
        const stream = startEventStream(reply, chunkSerializer(reply, ResponseStreamEvent), { eventOf: (event) => event.type, doneMarker: null });
        const send = (event: Unnumbered<ResponseStreamEvent>) =>
            stream.send({ ...event, sequence_number: sequence++ } as ResponseStreamEvent);
        const output: ResponseOutputItem[] = [];
        // The item being written: a message or reasoning (one text part each) or a function call.
        let open = null as { item: ResponseOutputItem; text: string; call?: number } | null;
        const close = async () => {
            if (open === null) return;
            const { item, text } = open;
            const index = output.length;
            if (item.type === "message") {
                item.content[0]!.text = text;
                await send({ type: "response.output_text.done", output_index: index, item_id: item.id, content_index: 0, text, logprobs: [] });
                await send({ type: "response.content_part.done", output_index: index, item_id: item.id, content_index: 0, part: item.content[0]! });
            } else if (item.type === "reasoning") {
                item.content = [{ type: "reasoning_text", text }];
                await send({ type: "response.reasoning_text.done", output_index: index, item_id: item.id, content_index: 0, text });
                await send({ type: "response.content_part.done", output_index: index, item_id: item.id, content_index: 0, part: item.content[0]! });
            } else {
                item.arguments = text;
                await send({ type: "response.function_call_arguments.done", output_index: index, item_id: item.id, name: item.name, arguments: text });
            }
            if (item.type !== "reasoning") item.status = "completed";
            await send({ type: "response.output_item.done", output_index: index, item: item });
            output.push(item);
            open = null;
        };
        const begin = async (item: ResponseOutputItem, call?: number) => {
            await close();
            open = { item, text: "", ...(call !== undefined ? { call } : {}) };
            // Added empty: the content part follows as an event of its own.
            await send({ type: "response.output_item.added", output_index: output.length, item: item.type === "function_call" ? { ...item } : { ...item, content: [] } });
            if (item.type === "message") {
                await send({ type: "response.content_part.added", output_index: output.length, item_id: item.id, content_index: 0, part: { type: "output_text", text: "", annotations: [], logprobs: [] } });
            } else if (item.type === "reasoning") {
                await send({ type: "response.content_part.added", output_index: output.length, item_id: item.id, content_index: 0, part: { type: "reasoning_text", text: "" } });
            }
        };
        await writeEventStream(reply, stream, async () => {
            await send({ type: "response.created", response: shape("in_progress", [], null) });
            await send({ type: "response.in_progress", response: shape("in_progress", [], null) });
            for await (const event of run.events) {
                if (event.type === "text" && event.text !== "") {
                    if (open?.item.type !== "message") {
                        await begin({ type: "message", id: newId("msg"), status: "in_progress", role: "assistant", content: [{ type: "output_text", text: "", annotations: [], logprobs: [] }] });
                    }
                    open!.text += event.text;
                    await send({ type: "response.output_text.delta", output_index: output.length, item_id: open!.item.id, content_index: 0, delta: event.text, logprobs: [] });
                } else if (event.type === "reasoning") {
                    if (open?.item.type !== "reasoning") await begin({ type: "reasoning", id: newId("rs"), summary: [], content: [] });
                    open!.text += event.text;
                    await send({ type: "response.reasoning_text.delta", output_index: output.length, item_id: open!.item.id, content_index: 0, delta: event.text });
                } else if (event.type === "toolCallStart") {
                    await begin({ type: "function_call", id: newId("fc"), call_id: event.id, name: event.name, arguments: "", status: "in_progress" }, event.index);
                } else if (event.type === "toolCallArguments" && open?.item.type === "function_call" && open.call === event.index) {
                    open.text += event.text;
                    await send({ type: "response.function_call_arguments.delta", output_index: output.length, item_id: open.item.id, delta: event.text });
                } else if (event.type === "end") {
                    const { summary } = event;
                    throwIfEndedByServer(summary);
                    if (output.length === 0 && open === null) {
                        await begin({ type: "message", id: newId("msg"), status: "in_progress", role: "assistant", content: [{ type: "output_text", text: "", annotations: [], logprobs: [] }] });
                    }
                    await close();
                    const status = statusOf(summary);
                    const response = keep(shape(status, output, summary));
                    await send({ type: status === "completed" ? "response.completed" : "response.incomplete", response });
                }
            }
        });
        return reply;
    });

    const idParams = Type.Object({ id: Type.String({ maxLength: 256 }) });
    app.get("/v1/responses/:id", {
        schema: { summary: "A stored response", tags, params: idParams, response: { 200: ResponseObject, ...errors } }
    }, async (request) => {
        const stored = store.get(request.params.id);
        if (stored === undefined) throw new ResponseNotFound(request.params.id, "id");
        return stored.response;
    });

    app.delete("/v1/responses/:id", {
        schema: { summary: "Delete a stored response", tags, params: idParams, response: { 200: DeletedResponse, ...errors } }
    }, async (request) => {
        if (!store.delete(request.params.id)) throw new ResponseNotFound(request.params.id, "id");
        return { id: request.params.id, object: "response" as const, deleted: true as const };
    });

    app.get("/v1/responses/:id/input_items", {
        schema: { summary: "The input items of a stored response", tags, params: idParams, response: { 200: InputItemList, ...errors } }
    }, async (request) => {
        const stored = store.get(request.params.id);
        if (stored === undefined) throw new ResponseNotFound(request.params.id, "id");
        // Newest first, as OpenAI lists them by default.
        const data = [...stored.input].reverse().map((item) => ({ ...item, ...(item.type === undefined ? { type: "message" } : {}) }));
        return { object: "list" as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false };
    });

    app.post("/v1/responses/input_tokens", {
        schema: { summary: "Count the input tokens a response request would evaluate", tags, body: InputTokensRequest, response: { 200: InputTokensResponse, ...errors } }
    }, async (request, reply) => {
        const { earlier, input } = conversationOf(request.body);
        const { promptTokens } = await services.inference.countChatTokens(toChatRequest(request.body, [...earlier, ...input], request.receivedAt, clientDisconnectSignal(reply)));
        return { object: "response.input_tokens" as const, input_tokens: promptTokens };
    });
};
