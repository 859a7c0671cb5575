/**
 * `--ollama-port`: a second listener, on the port Ollama's clients default to (11434), for Ollama's API alone. It
 * hands its requests to the same Fastify app, so authentication, CORS, metrics, the stall timeout and shutdown are
 * the main listener's. There, what is not Ollama's (OpenAI's /v1, LM Studio's /api/v0 and /api/v1, /docs, /metrics)
 * is 404, and every error is in Ollama's shape `{"error": "..."}`. Ollama's routes stay on the main port too.
 */
import { lookup } from "node:dns/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { RouteNotFound } from "../errors.js";
import { errorBodyFor, speaksOllama, toHttpError, toOllamaError, type HttpError, type OllamaError } from "./errorEnvelope.js";

export type OllamaListener = {
    /**
     * Listens on `host` at `port` (0: any free port), as the main listener does: on both loopback addresses for
     * `localhost`. Resolves with the port; rejects with the listen error (EADDRINUSE, EACCES, ...).
     */
    listen(host: string, port: number): Promise<number>;
    /** The servers listening (none until `listen`). */
    readonly servers: readonly Server[];
};

const ollamaRequests = new WeakSet<IncomingMessage>();

/** Whether a request came on the Ollama listener. */
export const cameOnOllamaPort = (request: FastifyRequest) => ollamaRequests.has(request.raw);

/** What the Ollama listener serves: Ollama's API (`HEAD /` and `GET /` are its probe), and the liveness probe. */
const servedOnOllamaPort = (path: string) => path === "/" || path === "/health" || speaksOllama(path);

/**
 * Sends `failure` as the request's listener and API write errors: on the Ollama listener always Ollama's shape, as
 * JSON text, since the route's response schema may be another API's envelope (the gate below answers on any route).
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, failure: HttpError): FastifyReply {
    reply.status(failure.status).headers(failure.headers ?? {});
    if (!cameOnOllamaPort(request)) return reply.send(errorBodyFor(request.url, failure));
    const body: OllamaError = toOllamaError(failure);
    return reply.type("application/json; charset=utf-8").send(JSON.stringify(body));
}

/**
 * Sets up the Ollama listener of `app`: the hooks go in now, before the routes; the servers come with `listen`.
 * `track` is what the main server's connections go through, so shutdown ends these the same way.
 */
export function ollamaListener(app: FastifyInstance, track: (server: Server) => void): OllamaListener {
    const servers: Server[] = [];

    // Before authentication: a route that is not there is not there, whatever the key.
    // Answered here rather than thrown: routes registered before the app's error handler (CORS's `OPTIONS *`) would
    // answer in Fastify's own shape.
    app.addHook("onRequest", async (request, reply) => {
        if (!cameOnOllamaPort(request)) return;
        const path = request.url.split("?")[0] ?? "";
        // The route matched as well as the path: a percent-encoded path could otherwise reach another API's route.
        const route = request.routeOptions.url;
        if (servedOnOllamaPort(path) && (route === undefined || route === "*" || servedOnOllamaPort(route))) return;
        return sendError(request, reply, toHttpError(new RouteNotFound(request.method, path)));
    });

    let closed: Promise<void> | undefined;
    const close = () => closed ??= Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
    }))).then(() => undefined);
    // With the main listener: no new connections from preClose on (app.ts ends the idle ones), and app.close()
    // returns once the last of these connections has ended too.
    app.addHook("preClose", async () => { void close(); });
    app.addHook("onClose", async () => { await close(); });

    /** A server as sturdy as Fastify's own: the same timeouts, limits and handling of malformed requests. */
    function newServer(): Server {
        const main = app.server;
        const server = createServer({ requestTimeout: main.requestTimeout, headersTimeout: main.headersTimeout }, (request, response) => {
            ollamaRequests.add(request);
            app.routing(request, response);
        });
        server.keepAliveTimeout = main.keepAliveTimeout;
        server.setTimeout(main.timeout);
        server.maxRequestsPerSocket = main.maxRequestsPerSocket;
        server.maxHeadersCount = main.maxHeadersCount;
        for (const listener of main.listeners("clientError")) server.on("clientError", listener as (error: Error, socket: Socket) => void);
        track(server);
        return server;
    }

    function listenOn(host: string, port: number): Promise<Server> {
        const server = newServer();
        return new Promise((resolve, reject) => {
            server.once("error", reject);
            server.listen({ host, port }, () => {
                server.off("error", reject);
                servers.push(server);
                resolve(server);
            });
        });
    }

    return {
        servers,
        async listen(host, port) {
            const first = await listenOn(host, port);
            const { address, port: bound } = first.address() as AddressInfo;
            // As Fastify does for the main listener: `localhost` is 127.0.0.1 and ::1, and clients may try either.
            if (host === "localhost") {
                const others = (await lookup(host, { all: true }).catch(() => [])).filter((other) => other.address !== address);
                await Promise.all(others.map((other) => listenOn(other.address, bound).catch(() => undefined)));
            }
            return bound;
        }
    };
}
