/**
 * Sends a completion run as one JSON response or as a stream of chunks: chunks as the text, reasoning and
 * tool calls arrive, a chunk with the finish reason, then (where the API has one) a chunk with the totals.
 */
import type { FastifyReply } from "fastify";
import type { Static, TSchema } from "typebox";
import type { TokenLogprob } from "../../engine/protocol.js";
import type { CompletionEvent, CompletionRun, CompletionSummary } from "../../services/InferenceService.js";
import { GenerationInterrupted } from "../../errors.js";
import { toHttpError } from "../errorEnvelope.js";
import { startEventStream, type EventStream } from "../sse.js";

type Part<T extends CompletionEvent["type"]> = Extract<CompletionEvent, { type: T }>;

export type ChunkShapes<Chunk> = {
    text(event: Part<"text">, first: boolean): Chunk;
    reasoning?(event: Part<"reasoning">, first: boolean): Chunk;
    toolCallStart?(event: Part<"toolCallStart">, first: boolean): Chunk;
    toolCallArguments?(event: Part<"toolCallArguments">): Chunk;
    finish(summary: CompletionSummary, logprobs: TokenLogprob[]): Chunk;
    /** The closing chunk with the totals; null where the client did not ask for one. */
    totals(summary: CompletionSummary): Chunk | null;
};

export type CollectedCompletion = { text: string; reasoning: string; summary: CompletionSummary; logprobs: TokenLogprob[] };

/**
 * An end the server caused (shutdown or an unload; a client that left reads nothing, so it cannot be that) is no
 * answer: GenerationInterrupted, not a finished reply.
 */
export function throwIfEndedByServer(summary: CompletionSummary): void {
    if (summary.stopReason === "userStopped" || summary.stopReason === "modelUnloaded") throw new GenerationInterrupted(summary.stopReason);
}

/** With `failWhenEndedByServer`, an answer the server cut short throws GenerationInterrupted instead of passing for whole. */
export async function collectCompletion(run: CompletionRun, failWhenEndedByServer = false): Promise<CollectedCompletion> {
    let text = "";
    let reasoning = "";
    const logprobs: TokenLogprob[] = [];
    for await (const event of run.events) {
        if (event.type === "text") {
            text += event.text;
            logprobs.push(...event.logprobs);
        } else if (event.type === "reasoning") reasoning += event.text;
        else if (event.type === "end") {
            if (failWhenEndedByServer) throwIfEndedByServer(event.summary);
            return { text, reasoning, summary: event.summary, logprobs: [...logprobs, ...event.logprobs] };
        }
    }
    throw new Error("the generation ended without a summary");
}

/**
 * Writes a stream's events with `write`, then ends it; an error on the way (the engine failed, the server cut the
 * answer) ends it with an error event in the stream's dialect instead, logged when unexpected.
 */
export async function writeEventStream<T>(reply: FastifyReply, stream: EventStream<T>, write: () => Promise<void>): Promise<void> {
    try {
        await write();
        stream.end();
    } catch (error) {
        const failure = toHttpError(error);
        if (failure.unexpected) reply.log.error(error);
        stream.fail(failure);
    }
}

/** With `failWhenEndedByServer`, a stream the server cut short ends with a GenerationInterrupted error event instead of a finish chunk. */
export async function streamCompletion<Chunk>(run: CompletionRun, reply: FastifyReply, shapes: ChunkShapes<Chunk>,
    serialize: (chunk: Chunk) => string, failWhenEndedByServer = false): Promise<void> {
    const stream = startEventStream(reply, serialize);
    let first = true;
    const send = async (chunk: Chunk | undefined) => {
        if (chunk === undefined) return;
        first = false;
        // Waiting here while the client does not read leaves the engine's events unread, which holds the generation.
        await stream.send(chunk);
    };
    await writeEventStream(reply, stream, async () => {
        for await (const event of run.events) {
            switch (event.type) {
                case "text": await send(shapes.text(event, first)); break;
                case "reasoning": await send(shapes.reasoning?.(event, first)); break;
                case "toolCallStart": await send(shapes.toolCallStart?.(event, first)); break;
                case "toolCallArguments": await send(shapes.toolCallArguments?.(event)); break;
                case "end": {
                    if (failWhenEndedByServer) throwIfEndedByServer(event.summary);
                    await send(shapes.finish(event.summary, event.logprobs));
                    const totals = shapes.totals(event.summary);
                    if (totals !== null) await send(totals);
                }
            }
        }
    });
}

export const completionId = (prefix: string) => `${prefix}-${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
export const unixSeconds = () => Math.floor(Date.now() / 1000);

/** The chunk schema's compiled serializer, so streamed chunks are shaped by the same schema as everything else. */
export function chunkSerializer<T extends TSchema>(reply: FastifyReply, schema: T): (chunk: Static<T>) => string {
    return reply.compileSerializationSchema(schema as unknown as Record<string, unknown>) as (chunk: Static<T>) => string;
}

/**
 * A call's arguments as an object (Anthropic's tool_use input, Ollama's tool_calls arguments); arguments that are
 * no JSON object are kept whole, as text under "arguments".
 */
export function callArgumentsObject(text: string): Record<string, unknown> {
    try {
        const parsed: unknown = JSON.parse(text === "" ? "{}" : text);
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
        // Not JSON: kept as text below.
    }
    return { arguments: text };
}
