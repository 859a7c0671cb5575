/** Liveness and metrics: what load balancers, the CLI and Prometheus read. Neither needs the API key's data. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { Health } from "../../schemas/operations.js";
import type { RouteDependencies } from "../app.js";

export const operationsRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["Operations"];
    app.get("/health", {
        schema: {
            summary: "Liveness, as llama-server's: answers at once, whatever the models and scans are doing (no API key needed)",
            tags, security: [], response: { 200: Health }
        }
    }, async () => ({ status: "ok" as const }));

    app.get("/metrics", {
        schema: {
            summary: "Prometheus metrics (text exposition format)", tags, produces: ["text/plain"],
            response: { 200: Type.String({ description: "Prometheus text format 0.0.4" }) }
        }
    }, async (_request, reply) => reply.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics()));
};
