import type { FastifyReply } from "fastify";
import { describe, expect, it } from "vitest";
import { clientDisconnectSignal } from "../../../src/http/clientDisconnect.js";

const reply = (socketDestroyed: boolean) => ({
    raw: { destroyed: false, writableFinished: false, once: () => undefined },
    request: { raw: { socket: { destroyed: socketDestroyed } } }
}) as unknown as FastifyReply;

describe("clientDisconnectSignal", () => {
    it("is aborted already for a client that left before the handler ran (its close event is past)", () => {
        expect(clientDisconnectSignal(reply(true)).aborted).toBe(true);
    });

    it("waits for the close of a client still connected", () => {
        expect(clientDisconnectSignal(reply(false)).aborted).toBe(false);
    });
});
