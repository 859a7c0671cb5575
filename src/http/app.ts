/**
 * Builds the HTTP application without listening, so tests and the CLI share it.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { RouteNotFound, ShuttingDown } from "../errors.js";
import type { InferenceService } from "../services/InferenceService.js";
import type { ServerMetrics } from "../metrics/ServerMetrics.js";
import type { DownloadJobs } from "../models/download/DownloadJobs.js";
import type { ModelService } from "../services/ModelService.js";
import type { ChatTurn } from "../services/chatPrompt.js";
import type { ResponseStore } from "../services/ResponseStore.js";
import type { ResponseObject } from "../schemas/openai/responses.js";
import type { ResponseItem } from "./routes/openai/responses.js";
import { requireApiKeys } from "./auth.js";
import { allowCrossOrigin, type CorsSetting } from "./cors.js";
import { toHttpError } from "./errorEnvelope.js";
import { ollamaListener, sendError, type OllamaListener } from "./ollamaListener.js";
import { v0ChatRoutes } from "./routes/v0/chat.js";
import { v0CompletionRoutes } from "./routes/v0/completions.js";
import { v0EmbeddingRoutes } from "./routes/v0/embeddings.js";
import { v0ModelRoutes } from "./routes/v0/models.js";
import { openAiChatRoutes } from "./routes/openai/chat.js";
import { openAiCompletionRoutes } from "./routes/openai/completions.js";
import { openAiEmbeddingRoutes } from "./routes/openai/embeddings.js";
import { openAiModelRoutes } from "./routes/openai/models.js";
import { v1DownloadRoutes } from "./routes/v1/downloads.js";
import { v1ChatRoutes } from "./routes/v1/chat.js";
import { anthropicMessageRoutes } from "./routes/anthropic/messages.js";
import { openAiResponseRoutes } from "./routes/openai/responses.js";
import { llamaServerUtilityRoutes } from "./routes/llamaServer/utilities.js";
import { v1ModelRoutes } from "./routes/v1/models.js";
import { registerOpenApi } from "./openApi.js";
import { ollamaRoutes } from "./routes/ollama/index.js";
import { operationsRoutes } from "./routes/operations.js";
import { statusRoutes } from "./routes/status.js";
import { webAppRoutes } from "./routes/webApp.js";
import { closeIfStalled } from "./sse.js";

export type Services = {
    models: ModelService;
    inference: InferenceService;
    downloads: DownloadJobs;
    metrics: ServerMetrics;
    /** What `previous_response_id` continues from: responses of `/v1/responses`, conversations of `/api/v1/chat`. */
    storedResponses: ResponseStore<ResponseObject, ResponseItem>;
    storedChats: ResponseStore<null, ChatTurn>;
};

export type RouteDependencies = { services: Services };

export type AppOptions = {
    services: Services;
    /** Largest accepted request body in bytes. Default 32 MiB. */
    bodyLimit?: number;
    /** Keys a request must present; none: no authentication. */
    apiKeys?: readonly string[];
    /** Default: off. */
    cors?: CorsSetting;
    /** Pino-compatible logger for unexpected errors; none: errors are not logged. */
    loggerInstance?: FastifyBaseLogger;
    /** Log every request and response. Default false. */
    logRequests?: boolean;
    /** Seconds a response may wait for a client that does not read before the connection is closed; 0: no limit. Default 60. */
    stallTimeoutSeconds?: number;
};

declare module "fastify" {
    interface FastifyRequest {
        /** `performance.now()` when the request arrived. */
        receivedAt: number;
    }
    interface FastifyInstance {
        /** Every route the app serves, for reviews such as "does every route require the API key". */
        routeList: Array<{ method: string; url: string }>;
        /** Milliseconds a response may wait for a client that does not read; 0: no limit. */
        stallTimeoutMs: number;
        /** The second listener, for Ollama's API alone (`--ollama-port`); it listens only once asked to. */
        ollamaListener: OllamaListener;
    }
}

/**
 * Requests in progress per connection of `server`, in `requestsBySocket`; once `closing()`, a connection whose last
 * request ends is ended too, so shutdown waits for running requests and nothing else.
 */
function trackRequestsBySocket(server: Server, requestsBySocket: Map<Socket, number>, closing: () => boolean): void {
    server.on("connection", (socket: Socket) => {
        requestsBySocket.set(socket, 0);
        socket.once("close", () => requestsBySocket.delete(socket));
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
        const socket = request.socket;
        requestsBySocket.set(socket, (requestsBySocket.get(socket) ?? 0) + 1);
        response.once("close", () => {
            if (!requestsBySocket.has(socket)) return;
            const active = requestsBySocket.get(socket)! - 1;
            requestsBySocket.set(socket, active);
            if (active === 0 && closing()) socket.end();
        });
    });
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
    const app = Fastify({
        ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
        logController: new LogController({ disableRequestLogging: !options.logRequests }),
        bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
        // JSON bodies are typed by their clients: "0.5" is not a temperature.
        ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
        // Fastify's own 503 while closing is not OpenAI-shaped; the onRequest hook below answers instead.
        return503OnClosing: false
    }).withTypeProvider<TypeBoxTypeProvider>();

    app.decorate("routeList", []);
    app.decorate("stallTimeoutMs", (options.stallTimeoutSeconds ?? 60) * 1000);
    // A JSON reply its client does not read is held in memory; past the stall timeout the connection goes.
    app.addHook("onSend", async (_request, reply) => {
        closeIfStalled(reply.raw, app.stallTimeoutMs, () => reply.log.warn("Closed a connection whose client read nothing for the stall timeout"));
    });
    app.addHook("onRoute", (route) => {
        for (const method of [route.method].flat()) app.routeList.push({ method, url: route.url });
    });
    // Only JSON bodies: Fastify's text/plain parser would turn a wrong content type into a confusing 400.
    app.removeContentTypeParser("text/plain");
    app.decorateRequest("receivedAt", 0);
    app.addHook("onRequest", async (request) => {
        request.receivedAt = performance.now();
    });
    // Requests arriving on kept-alive connections while the server shuts down are refused; new connections
    // already are, as the listener is closed.
    let closing = false;
    // The main listener's connections and the Ollama listener's.
    const requestsBySocket = new Map<Socket, number>();
    const track = (server: Server) => trackRequestsBySocket(server, requestsBySocket, () => closing);
    track(app.server);
    app.addHook("preClose", async () => {
        closing = true;
        // Node's close ends idle keep-alive connections, but not one that never sent a request (a browser's
        // preconnect, a pooled client's spare): that one held close() for its 60 s headers timeout and more.
        for (const [socket, active] of requestsBySocket) if (active === 0) socket.end();
    });
    app.addHook("onRequest", async () => {
        if (closing) throw new ShuttingDown();
    });
    // Its hooks before CORS and authentication, and before the routes, which they must cover.
    app.decorate("ollamaListener", ollamaListener(app, track));

    // CORS first: a preflight is answered before authentication, which it cannot carry.
    await allowCrossOrigin(app, options.cors ?? false);
    requireApiKeys(app, options.apiKeys ?? []);

    const { metrics } = options.services;
    app.addHook("onResponse", async (request, reply) => {
        metrics.countRequest(request.routeOptions.url ?? "unmatched", request.method, reply.statusCode);
    });

    app.setErrorHandler((error, request, reply) => {
        const failure = toHttpError(error);
        if (failure.unexpected) request.log.error(error);
        return sendError(request, reply, failure);
    });
    app.setNotFoundHandler((request, reply) => {
        const failure = toHttpError(new RouteNotFound(request.method, request.url.split("?")[0] ?? ""));
        return sendError(request, reply, failure);
    });

    // Before the routes: the OpenAPI document is collected from them as they register.
    await registerOpenApi(app, (options.apiKeys ?? []).length > 0);
    const dependencies: RouteDependencies = { services: options.services };
    for (const routes of [
        v0ModelRoutes, v0ChatRoutes, v0CompletionRoutes, v0EmbeddingRoutes,
        openAiModelRoutes, openAiChatRoutes, openAiCompletionRoutes, openAiEmbeddingRoutes, openAiResponseRoutes,
        v1ModelRoutes, v1DownloadRoutes, v1ChatRoutes, anthropicMessageRoutes, llamaServerUtilityRoutes, ollamaRoutes, operationsRoutes, webAppRoutes, statusRoutes
    ]) {
        await app.register(routes, dependencies);
    }
    return app;
}
