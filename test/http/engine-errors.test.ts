/**
 * An engine process the server can no longer reach (a send to a worker that just died fails with an "error"
 * event): the server does not crash, requests on it fail with engine_failure, and the next one loads it again.
 */
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
});
afterAll(() => server.close());

it("survives an error on an engine process's channel, and loads the model again for the next request", async () => {
    const body = { model: "tiny-chat", prompt: "Once upon a time", max_tokens: 2000, stream: true };
    const running = await postJson(`${server.url}/api/v0/completions`, body);
    const [instance] = server.lifecycle.instances();
    const child = (instance!.engine as unknown as { child: ChildProcess }).child;
    expect(() => child.emit("error", new Error("write EPIPE"))).not.toThrow();
    const text = await running.text();
    expect(text).toContain("engine_failure");
    expect(text).not.toMatch(/\n\s+at /);
    const next = await postJson(`${server.url}/api/v0/completions`, { ...body, max_tokens: 3, stream: false });
    expect(next.status).toBe(200);
    expect((await next.json()).usage.completion_tokens).toBe(3);
});
