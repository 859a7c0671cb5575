import type { FastifyReply } from "fastify";

/**
 * An AbortSignal that fires when the client goes away before the response is complete, so the generation
 * serving it stops and frees its sequence.
 */
export function clientDisconnectSignal(reply: FastifyReply): AbortSignal {
    const controller = new AbortController();
    reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) controller.abort();
    });
    return controller.signal;
}
