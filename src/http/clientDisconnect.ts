import type { FastifyReply } from "fastify";

/**
 * An AbortSignal that fires when the client goes away before the response is complete, so the generation
 * serving it stops and frees its sequence.
 */
export function clientDisconnectSignal(reply: FastifyReply): AbortSignal {
    const controller = new AbortController();
    // A client that left before this ran (while the body was parsed) closed the socket already: no close event
    // will come for it any more.
    if (reply.raw.destroyed || reply.request.raw.socket?.destroyed) {
        controller.abort();
        return controller.signal;
    }
    reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) controller.abort();
    });
    return controller.signal;
}
