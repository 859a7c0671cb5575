/**
 * The server's Prometheus metrics: requests by route and status, tokens in and out, time to first token and
 * decode speed, queue depth, busy sequences, loaded models and load times. One registry per server, so
 * several servers in one process (tests) keep separate counts. The same counts feed GET /lmhost/status: its
 * totals are read from these counters, its per-instance load from the gauges' own source, and its last
 * minutes from a small ring buffer (RecentActivity) fed by the same calls.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { DraftCounts } from "../engine/protocol.js";
import type { ModelInstance } from "../models/lifecycle/ModelLifecycle.js";
import { RecentActivity, type MinuteActivity, type WallClock } from "./RecentActivity.js";

export type InstanceSource = () => ModelInstance[];

/** An instance's sequences and what occupies them, as the lmhost_sequences, _busy_sequences, _queue_depth and _held_generations gauges say. */
export type InstanceLoad = { sequences: number; busy: number; queued: number; held: number };

export function instanceLoad(instance: ModelInstance): InstanceLoad {
    const sequences = instance.engine.model.parallel;
    return {
        sequences,
        busy: Math.min(instance.inFlight, sequences),
        queued: Math.max(0, instance.inFlight - sequences),
        held: instance.engine.heldGenerations
    };
}

/** Sums of the counters since the server started, as /metrics has them. */
export type MetricTotals = { requests: number; errors: number; completions: number; promptTokens: number; completionTokens: number };

export type ServerMetricsOptions = {
    /** Wall-clock milliseconds, for the per-minute activity and the uptime; default Date.now. */
    clock?: WallClock;
};

const sumOf = async (metric: Counter<string>, where: (labels: Partial<Record<string, string | number>>) => boolean = () => true) =>
    (await metric.get()).values.reduce((sum, sample) => (where(sample.labels) ? sum + sample.value : sum), 0);

export class ServerMetrics {
    readonly registry = new Registry();
    private readonly requests: Counter<"route" | "method" | "status">;
    private readonly promptTokens: Counter<"model">;
    private readonly cachedPromptTokens: Counter<"model">;
    private readonly completionTokens: Counter<"model">;
    private readonly completions: Counter<"model" | "stop_reason">;
    private readonly timeToFirstToken: Histogram<"model">;
    private readonly decodeSpeed: Histogram<"model">;
    private readonly loadTime: Histogram<"model">;
    private readonly tokensAfterCancel: Histogram<"model">;
    private readonly draftTokens: Counter<"model" | "outcome">;
    private instances: InstanceSource = () => [];
    private readonly clock: WallClock;
    private readonly recentActivity: RecentActivity;
    /** Clock time the metrics were created: the server's start. */
    readonly startedAt: number;

    constructor(options: ServerMetricsOptions = {}) {
        this.clock = options.clock ?? { now: () => Date.now() };
        this.recentActivity = new RecentActivity(this.clock);
        this.startedAt = this.clock.now();
        const instances = () => this.instances();
        const registers = [this.registry];
        // prom-client's own names start with process_ and nodejs_: lmhost_process_cpu_seconds_total, not _process_process_.
        collectDefaultMetrics({ register: this.registry, prefix: "lmhost_" });
        this.requests = new Counter({ name: "lmhost_http_requests_total", help: "HTTP requests answered, by route and status.", labelNames: ["route", "method", "status"], registers });
        this.promptTokens = new Counter({ name: "lmhost_prompt_tokens_total", help: "Prompt tokens of completions.", labelNames: ["model"], registers });
        this.cachedPromptTokens = new Counter({ name: "lmhost_prompt_tokens_cached_total", help: "Prompt tokens reused from the prompt cache.", labelNames: ["model"], registers });
        this.completionTokens = new Counter({ name: "lmhost_completion_tokens_total", help: "Generated tokens.", labelNames: ["model"], registers });
        this.completions = new Counter({ name: "lmhost_completions_total", help: "Completions finished, by stop reason.", labelNames: ["model", "stop_reason"], registers });
        this.timeToFirstToken = new Histogram({
            name: "lmhost_time_to_first_token_seconds", help: "From receiving a request to its first generated token.", labelNames: ["model"], registers,
            buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
        });
        this.decodeSpeed = new Histogram({
            name: "lmhost_decode_tokens_per_second", help: "Decode speed of each completion.", labelNames: ["model"], registers,
            buckets: [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 250, 500, 1000]
        });
        this.loadTime = new Histogram({
            name: "lmhost_model_load_seconds", help: "Time to load a model.", labelNames: ["model"], registers,
            buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
        });
        this.tokensAfterCancel = new Histogram({
            name: "lmhost_tokens_after_cancel", help: "Tokens a cancelled generation produced after the engine got the cancel.", labelNames: ["model"], registers,
            buckets: [0, 1, 2, 4, 8, 16, 64]
        });
        this.draftTokens = new Counter({
            name: "lmhost_draft_tokens_total", help: "Speculative decoding: proposed tokens by outcome (accepted, rejected, ignored).",
            labelNames: ["model", "outcome"], registers
        });
        const perInstance = (read: (instance: ModelInstance) => number) => function (this: Gauge<"instance" | "model">) {
            this.reset();
            for (const instance of instances()) this.set({ instance: instance.id, model: instance.entry.id }, read(instance));
        };
        new Gauge({
            name: "lmhost_queue_depth", help: "Requests waiting for a sequence, per loaded instance.", labelNames: ["instance", "model"], registers,
            collect: perInstance((instance) => instanceLoad(instance).queued)
        });
        new Gauge({
            name: "lmhost_busy_sequences", help: "Sequences generating now, per loaded instance.", labelNames: ["instance", "model"], registers,
            collect: perInstance((instance) => instanceLoad(instance).busy)
        });
        new Gauge({
            name: "lmhost_held_generations", help: "Generations held between tokens because their clients do not read, per loaded instance.",
            labelNames: ["instance", "model"], registers, collect: perInstance((instance) => instanceLoad(instance).held)
        });
        new Gauge({
            name: "lmhost_sequences", help: "Sequences (parallel slots), per loaded instance.", labelNames: ["instance", "model"], registers,
            collect: perInstance((instance) => instanceLoad(instance).sequences)
        });
        new Gauge({
            name: "lmhost_loaded_models", help: "Loaded model instances.", registers,
            collect(this: Gauge) { this.set(instances().length); }
        });
    }

    /** Where the per-instance gauges read the loaded instances from. */
    watchInstances(source: InstanceSource): void {
        this.instances = source;
    }

    /** The loaded instances, from the source the per-instance gauges read. */
    loadedInstances(): ModelInstance[] {
        return this.instances();
    }

    /**
     * The counters' sums over all their labels, read from the counters /metrics prints: requests (errors: those
     * answered with a status of 400 or more), completions, prompt and completion tokens.
     */
    async totals(): Promise<MetricTotals> {
        const [requests, errors, completions, promptTokens, completionTokens] = await Promise.all([
            sumOf(this.requests), sumOf(this.requests, (labels) => Number(labels.status) >= 400),
            sumOf(this.completions), sumOf(this.promptTokens), sumOf(this.completionTokens)
        ]);
        return { requests, errors, completions, promptTokens, completionTokens };
    }

    /** The last minutes' requests and completions, oldest first, up to the current minute. */
    recent(): MinuteActivity[] {
        return this.recentActivity.minutes();
    }

    uptimeSeconds(): number {
        return (this.clock.now() - this.startedAt) / 1000;
    }

    countRequest(route: string, method: string, status: number): void {
        this.requests.inc({ route, method, status: String(status) });
        this.recentActivity.countRequest(status);
    }

    /** Timings are null for a completion whose client left before the end (nothing timed it). */
    countCompletion(model: string, summary: {
        promptTokens: number; cachedPromptTokens: number; completionTokens: number; timeToFirstToken: number | null; tokensPerSecond: number | null; stopReason: string;
        drafts?: DraftCounts | null;
    }): void {
        if (summary.drafts) {
            for (const outcome of ["accepted", "rejected", "ignored"] as const) this.draftTokens.inc({ model, outcome }, summary.drafts[outcome]);
        }
        this.promptTokens.inc({ model }, summary.promptTokens);
        this.cachedPromptTokens.inc({ model }, summary.cachedPromptTokens);
        this.completionTokens.inc({ model }, summary.completionTokens);
        this.completions.inc({ model, stop_reason: summary.stopReason });
        if (summary.completionTokens > 0 && summary.timeToFirstToken !== null) this.timeToFirstToken.observe({ model }, summary.timeToFirstToken);
        if (summary.tokensPerSecond !== null && summary.tokensPerSecond > 0) this.decodeSpeed.observe({ model }, summary.tokensPerSecond);
        // Timed as the histograms are: a speed only where one was measured, a first token only where there was one.
        this.recentActivity.countCompletion({
            completionTokens: summary.completionTokens,
            tokensPerSecond: summary.tokensPerSecond !== null && summary.tokensPerSecond > 0 ? summary.tokensPerSecond : null,
            timeToFirstToken: summary.completionTokens > 0 ? summary.timeToFirstToken : null
        });
    }

    /** A generation stopped because its client went away (or the server is shutting down). */
    countCancellation(model: string, tokensAfterCancel: number): void {
        this.tokensAfterCancel.observe({ model }, tokensAfterCancel);
    }

    countEmbedding(model: string, promptTokens: number): void {
        this.promptTokens.inc({ model }, promptTokens);
    }

    countLoad(model: string, seconds: number): void {
        this.loadTime.observe({ model }, seconds);
    }
}
