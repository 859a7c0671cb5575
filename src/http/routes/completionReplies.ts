/**
 * Sends a completion run as one JSON response or as a stream of chunks: one chunk per piece of generated text
 * as it arrives, a chunk with the finish reason, then (where the API has one) a chunk with the totals.
 */
import type { FastifyReply } from "fastify";
import type { Static, TSchema } from "typebox";
import type { CompletionRun, CompletionSummary } from "../../services/InferenceService.js";
import { toHttpError } from "../errorEnvelope.js";
import { startEventStream } from "../sse.js";

export type ChunkShapes<Chunk> = {
    text(text: string, first: boolean): Chunk;
    finish(summary: CompletionSummary): Chunk;
    /** The closing chunk with usage and stats; null where the client did not ask for one. */
    totals(summary: CompletionSummary): Chunk | null;
};

export async function collectCompletion(run: CompletionRun): Promise<{ text: string; summary: CompletionSummary }> {
    let text = "";
    for await (const event of run.events) {
        if (event.type === "text") text += event.text;
        else return { text, summary: event.summary };
    }
    throw new Error("the generation ended without a summary");
}

export async function streamCompletion<Chunk>(run: CompletionRun, reply: FastifyReply, shapes: ChunkShapes<Chunk>,
    serialize: (chunk: Chunk) => string): Promise<void> {
    const stream = startEventStream(reply, serialize);
    let first = true;
    try {
        for await (const event of run.events) {
            if (event.type === "text") {
                stream.send(shapes.text(event.text, first));
                first = false;
                continue;
            }
            stream.send(shapes.finish(event.summary));
            const totals = shapes.totals(event.summary);
            if (totals !== null) stream.send(totals);
        }
        stream.end();
    } catch (error) {
        const { body, unexpected } = toHttpError(error);
        if (unexpected) reply.log.error(error);
        stream.fail(body);
    }
}

export const completionId = (prefix: string) => `${prefix}-${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
export const unixSeconds = () => Math.floor(Date.now() / 1000);

/** The chunk schema's compiled serializer, so streamed chunks are shaped by the same schema as everything else. */
export function chunkSerializer<T extends TSchema>(reply: FastifyReply, schema: T): (chunk: Static<T>) => string {
    return reply.compileSerializationSchema(schema as unknown as Record<string, unknown>) as (chunk: Static<T>) => string;
}
