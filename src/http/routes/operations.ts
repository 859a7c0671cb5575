/** Liveness and metrics: what load balancers, the CLI and Prometheus read. Neither needs the API key's data. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorEnvelope } from "../../schemas/errorEnvelope.js";
import { Health, HealthQuery } from "../../schemas/operations.js";
import type { RouteDependencies } from "../app.js";

export const operationsRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["Operations"];
    app.get("/health", {
        schema: {
            summary: "Liveness, as llama-server's: answers at once, whatever the models and scans are doing (no API key needed). " +
                "With ?model=, that model's readiness: 200 when loaded, 503 while loading, after a failed load, or when not loaded",
            tags, security: [], querystring: HealthQuery, response: { 200: Health, 503: Health, "4xx": ErrorEnvelope }
        }
    }, async (request, reply) => {
        if (request.query.model === undefined) return { status: "ok" as const };
        const { model, ...state } = await services.models.stateOf(request.query.model);
        const body = state.state === "error"
            ? { status: state.state, model, message: state.message, failed_at: state.failedAt.toISOString() }
            : state.state === "loading" ? { status: state.state, model, progress: state.progress } : { status: state.state, model };
        return reply.code(state.state === "ok" ? 200 : 503).send(body);
    });

    app.get("/metrics", {
        schema: {
            summary: "Prometheus metrics (text exposition format)", tags, produces: ["text/plain"],
            response: { 200: Type.String({ description: "Prometheus text format 0.0.4" }) }
        }
    }, async (_request, reply) => reply.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics()));
};
