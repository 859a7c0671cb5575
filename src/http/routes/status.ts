/**
 * GET /lmhost/status: the server's live state in one JSON document, for the web app's Server page (which polls it
 * every few seconds) and for monitoring that would rather not parse Prometheus text. Data, so behind --api-key.
 * Its totals are the /metrics counters' sums, read from the same counters (docs/api/status.md).
 */
import { createRequire } from "node:module";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { instanceLoad } from "../../metrics/ServerMetrics.js";
import type { ModelInstance } from "../../models/lifecycle/ModelLifecycle.js";
import { ErrorEnvelope } from "../../schemas/errorEnvelope.js";
import { ServerStatus, type StatusInstance } from "../../schemas/status.js";
import type { RouteDependencies } from "../app.js";

const { version } = createRequire(import.meta.url)("../../../package.json") as { version: string };

/** How long an engine may take to say its memory before the status answers without it. */
const memoryTimeoutMs = 1000;

async function describeInstance(instance: ModelInstance): Promise<StatusInstance> {
    const { engine } = instance;
    // What the instance does now, before the wait for its memory.
    const described = {
        id: instance.id,
        model: instance.entry.id,
        type: instance.entry.type,
        origin: instance.origin,
        ...instanceLoad(instance),
        context_length: engine.model.contextLength,
        ttl_seconds: instance.ttlSeconds,
        loaded_at: instance.loadedAt.toISOString(),
        pid: engine.pid ?? null
    };
    const memory = await (engine.residentMemory?.({ timeoutMs: memoryTimeoutMs }) ?? Promise.resolve(null)).catch(() => null);
    return { ...described, memory_bytes: memory };
}

export const statusRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const { metrics } = services;
    app.get("/lmhost/status", {
        schema: {
            summary: "The server's live state: loaded instances and their load and memory, the server's memory, request and token totals " +
                "(as /metrics counts them) and the last 15 minutes, minute by minute (an lmhost extension, for its web app and monitoring)",
            tags: ["Operations"],
            response: { 200: ServerStatus, "4xx": ErrorEnvelope, "5xx": ErrorEnvelope }
        }
    }, async () => {
        // Everything counted is read before the engines are asked for their memory, which may take up to a second.
        const loaded = metrics.loadedInstances();
        const totals = await metrics.totals();
        const recent = metrics.recent();
        const uptime = metrics.uptimeSeconds();
        const { rss, heapUsed } = process.memoryUsage();
        return {
            version,
            started_at: new Date(metrics.startedAt).toISOString(),
            uptime_seconds: uptime,
            memory: { rss_bytes: rss, heap_used_bytes: heapUsed },
            instances: await Promise.all(loaded.map(describeInstance)),
            loading: services.models.loadsInProgress().map((load) => ({ id: load.id, model: load.modelId, progress: load.progress })),
            totals: {
                requests: totals.requests, errors: totals.errors, completions: totals.completions,
                prompt_tokens: totals.promptTokens, completion_tokens: totals.completionTokens
            },
            recent: recent.map((minute) => ({
                minute: new Date(minute.start).toISOString(),
                requests: minute.requests,
                errors: minute.errors,
                completions: minute.completions,
                completion_tokens: minute.completionTokens,
                tokens_per_second: minute.tokensPerSecond,
                time_to_first_token_seconds: minute.timeToFirstToken
            }))
        };
    });
};
