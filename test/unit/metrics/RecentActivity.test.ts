/** The per-minute ring behind GET /lmhost/status's `recent`, on a clock the test moves; and ServerMetrics' totals against its own /metrics text. */
import { describe, expect, it } from "vitest";
import { RecentActivity, recentMinutes } from "../../../src/metrics/RecentActivity.js";
import { ServerMetrics } from "../../../src/metrics/ServerMetrics.js";
import { FakeClock } from "../../support/fakes/FakeClock.js";

const minute = 60_000;
const completion = (completionTokens: number, tokensPerSecond: number | null, timeToFirstToken: number | null) =>
    ({ completionTokens, tokensPerSecond, timeToFirstToken });

/** A clock at `minutes` minutes and `seconds` seconds past the epoch (FakeClock starts at 0). */
function clockAt(minutes: number, seconds = 0): FakeClock {
    const clock = new FakeClock();
    clock.advance(minutes * minute + seconds * 1000);
    return clock;
}

describe("RecentActivity", () => {
    it("reports the last 15 minutes, oldest first, ending with the current one, quiet ones as zeros and nulls", () => {
        const clock = clockAt(100, 30);
        const activity = new RecentActivity(clock);
        const minutes = activity.minutes();
        expect(minutes).toHaveLength(recentMinutes);
        expect(minutes.map((entry) => entry.start)).toEqual(Array.from({ length: 15 }, (_, index) => (86 + index) * minute));
        for (const entry of minutes) {
            expect(entry).toEqual({ start: entry.start, requests: 0, errors: 0, completions: 0, completionTokens: 0, tokensPerSecond: null, timeToFirstToken: null });
        }
    });

    it("counts requests and errors (status 400 and above) in the minute they end", () => {
        const clock = clockAt(10);
        const activity = new RecentActivity(clock);
        activity.countRequest(200);
        activity.countRequest(404);
        clock.advance(59_999);
        activity.countRequest(500);
        clock.advance(1);
        activity.countRequest(399);
        const [previous, current] = activity.minutes().slice(-2);
        expect(previous).toMatchObject({ start: 10 * minute, requests: 3, errors: 2 });
        expect(current).toMatchObject({ start: 11 * minute, requests: 1, errors: 0 });
    });

    it("averages speed and time to first token over the completions that measured them", () => {
        const clock = clockAt(5);
        const activity = new RecentActivity(clock);
        activity.countCompletion(completion(10, 20, 0.5));
        activity.countCompletion(completion(30, 40, 1.5));
        activity.countCompletion(completion(0, null, null));
        expect(activity.minutes().at(-1)).toMatchObject({ completions: 3, completionTokens: 40, tokensPerSecond: 30, timeToFirstToken: 1 });
        clock.advance(minute);
        activity.countCompletion(completion(0, null, null));
        expect(activity.minutes().at(-1)).toMatchObject({ completions: 1, completionTokens: 0, tokensPerSecond: null, timeToFirstToken: null });
        expect(activity.minutes().at(-2)).toMatchObject({ completions: 3, tokensPerSecond: 30 });
    });

    it("drops minutes older than the window, and reuses their slots for new minutes without carrying counts over", () => {
        const clock = clockAt(0);
        const activity = new RecentActivity(clock);
        activity.countRequest(200);
        activity.countCompletion(completion(7, 10, 0.1));
        clock.advance(14 * minute);
        expect(activity.minutes()[0]).toMatchObject({ start: 0, requests: 1, completions: 1 });
        clock.advance(minute);
        // Minute 15 has minute 0's slot: minute 0 is gone from the window, and minute 15 starts from zero.
        expect(activity.minutes().map((entry) => entry.requests)).toEqual(new Array(15).fill(0));
        activity.countRequest(500);
        expect(activity.minutes().at(-1)).toMatchObject({ start: 15 * minute, requests: 1, errors: 1, completions: 0, tokensPerSecond: null });
    });

    it("shows nothing of an idle hour, and counts again after it", () => {
        const clock = clockAt(3);
        const activity = new RecentActivity(clock);
        for (let index = 0; index < 15; index++) {
            activity.countRequest(200);
            clock.advance(minute);
        }
        expect(activity.minutes().slice(0, 14).every((entry) => entry.requests === 1)).toBe(true);
        clock.advance(60 * minute);
        expect(activity.minutes().every((entry) => entry.requests === 0)).toBe(true);
        activity.countRequest(200);
        expect(activity.minutes().map((entry) => entry.requests)).toEqual([...new Array(14).fill(0), 1]);
    });
});

/** Sum of a metric's samples in Prometheus text, over every label set that `where` accepts. */
function sumOf(text: string, name: string, where: (labels: string) => boolean = () => true): number {
    let sum = 0;
    for (const match of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, "gm"))) if (where(match[1] ?? "")) sum += Number(match[2]);
    return sum;
}

describe("ServerMetrics' status figures", () => {
    it("totals agree with the counters /metrics prints", async () => {
        const clock = clockAt(42, 10);
        const metrics = new ServerMetrics({ clock });
        metrics.countRequest("/v1/chat/completions", "POST", 200);
        metrics.countRequest("/v1/chat/completions", "POST", 200);
        metrics.countRequest("/v1/models/:model", "GET", 404);
        metrics.countRequest("unmatched", "GET", 401);
        metrics.countRequest("/v1/chat/completions", "POST", 503);
        const summary = { cachedPromptTokens: 0, stopReason: "eosFound" };
        metrics.countCompletion("a", { ...summary, promptTokens: 12, completionTokens: 5, timeToFirstToken: 0.2, tokensPerSecond: 50 });
        metrics.countCompletion("b", { ...summary, promptTokens: 3, completionTokens: 0, timeToFirstToken: null, tokensPerSecond: null, stopReason: "userStopped" });
        metrics.countEmbedding("e", 9);
        const text = await metrics.registry.metrics();
        const totals = await metrics.totals();
        expect(totals).toEqual({
            requests: sumOf(text, "lmhost_http_requests_total"),
            errors: sumOf(text, "lmhost_http_requests_total", (labels) => Number(/status="(\d+)"/.exec(labels)?.[1]) >= 400),
            completions: sumOf(text, "lmhost_completions_total"),
            promptTokens: sumOf(text, "lmhost_prompt_tokens_total"),
            completionTokens: sumOf(text, "lmhost_completion_tokens_total")
        });
        expect(totals).toEqual({ requests: 5, errors: 3, completions: 2, promptTokens: 24, completionTokens: 5 });
        expect(metrics.recent().at(-1)).toMatchObject({
            start: 42 * minute, requests: 5, errors: 3, completions: 2, completionTokens: 5, tokensPerSecond: 50, timeToFirstToken: 0.2
        });
    });

    it("measures uptime on its clock", () => {
        const clock = clockAt(1);
        const metrics = new ServerMetrics({ clock });
        clock.advance(2500);
        expect(metrics.uptimeSeconds()).toBe(2.5);
        expect(metrics.startedAt).toBe(minute);
    });
});
