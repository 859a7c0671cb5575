/**
 * Hang-ups by phase (the queue and the generation are in disconnects-and-overload.test.ts). A client that hangs up
 * while its model is still loading: once the model is up, its generation is cancelled at once (it already was, for
 * the client), instead of running to the end of the context and holding a sequence. One that hangs up while its
 * prompt is evaluated: stopped at its first token (node-llama-cpp cannot abort an evaluation already queued, so
 * the prompt's batches run to their end). And shutdown: a request still waiting for its load, a silent connection.
 */
import net from "node:net";
import { expect, it, onTestFinished } from "vitest";
import { standardModelsFolder } from "../support/fixtures.js";
import { metricsWhen, metricValue, readMetrics } from "../support/metrics.js";
import { postJson, startTestServer } from "../support/testServer.js";

const stopped = 'model="tiny-chat",stop_reason="userStopped"';
const generated = 'model="tiny-chat"';
const busy = 'instance="tiny-chat",model="tiny-chat"';

// A server per case: each case needs its model not yet loaded.
it.each([false, true])("cancels the generation of a client that left during the load (stream: %s)", async (stream) => {
    const server = await startTestServer({ modelsDir: await standardModelsFolder() });
    onTestFinished(() => server.close());
    const before = await readMetrics(server.url);
    const controller = new AbortController();
    // No max_tokens: unless cancelled, the generation runs to the end of the context.
    const request = postJson(`${server.url}/v1/chat/completions`, { model: "tiny-chat", messages: [{ role: "user", content: "Hi" }], stream },
        { signal: controller.signal }).catch((error: Error) => error);
    setTimeout(() => controller.abort(), 50);
    expect(await request).toBeInstanceOf(Error);
    const after = await metricsWhen(server.url, (text) =>
        metricValue(text, "lmhost_completions_total", stopped) > metricValue(before, "lmhost_completions_total", stopped), 400);
    expect(metricValue(after, "lmhost_completions_total", stopped)).toBe(metricValue(before, "lmhost_completions_total", stopped) + 1);
    expect(metricValue(after, "lmhost_busy_sequences", busy)).toBe(0);
    expect(metricValue(after, "lmhost_completion_tokens_total", generated) - metricValue(before, "lmhost_completion_tokens_total", generated)).toBeLessThan(8);
});

it("answers shutting_down to a request whose model was still loading when shutdown's grace period ended, and closes", async () => {
    const closing = await startTestServer({ modelsDir: await standardModelsFolder() });
    const response = postJson(`${closing.url}/v1/chat/completions`, { model: "tiny-chat", messages: [{ role: "user", content: "Hi" }], stream: true });
    // The request is in, its model loading; a grace period of 0 s ends at once.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = closing.close(0);
    const answer = await response;
    expect(answer.status).toBe(503);
    expect((await answer.json()).error.code).toBe("shutting_down");
    await closed;
    expect(closing.lifecycle.instances()).toEqual([]);
});

it("closes at once past a connection that never sent a request, instead of waiting out its headers timeout", async () => {
    const server = await startTestServer({ modelsDir: await standardModelsFolder() });
    const url = new URL(server.url);
    // A browser's preconnect, or a pooled client's spare connection: open, silent.
    const silent = net.connect(Number(url.port), url.hostname);
    await new Promise((resolve) => silent.once("connect", resolve));
    const closedBy = new Promise<string>((resolve) => silent.once("close", () => resolve("server")));
    const started = Date.now();
    await server.close();
    // Node's own close waited 60 to 90 s for such a connection; 10 s is far from both.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await closedBy).toBe("server");
});

it("cancels a generation whose client left while its prompt was evaluated, before it writes more than a token", async () => {
    const server = await startTestServer({ modelsDir: await standardModelsFolder() });
    onTestFinished(() => server.close());
    await (await postJson(`${server.url}/v1/completions`, { model: "tiny-chat", prompt: "Hi", max_tokens: 1 })).json();
    const before = await readMetrics(server.url);
    const controller = new AbortController();
    // About 1,400 prompt tokens: evaluated in batches of 512 while the client is already gone.
    const request = postJson(`${server.url}/v1/completions`, { model: "tiny-chat", prompt: "word ".repeat(700), stream: true },
        { signal: controller.signal }).catch((error: Error) => error);
    setTimeout(() => controller.abort(), 20);
    await request;
    const after = await metricsWhen(server.url, (text) =>
        metricValue(text, "lmhost_completions_total", stopped) > metricValue(before, "lmhost_completions_total", stopped), 400);
    expect(metricValue(after, "lmhost_completions_total", stopped)).toBe(metricValue(before, "lmhost_completions_total", stopped) + 1);
    expect(metricValue(after, "lmhost_completion_tokens_total", generated) - metricValue(before, "lmhost_completion_tokens_total", generated)).toBeLessThanOrEqual(1);
    expect(metricValue(after, "lmhost_busy_sequences", busy)).toBe(0);
});
