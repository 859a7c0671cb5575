/** Helpers for benchmarks that talk to servers over HTTP: free ports, readiness, timed streams. */
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createParser } from "eventsource-parser";

export async function freePort(): Promise<number> {
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
}

export async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
    for (let i = 0; i < 600; i++) {
        if (child.exitCode !== null) throw new Error(`${url} exited with code ${child.exitCode}`);
        if (await fetch(url).then((response) => response.ok, () => false)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${url} did not come up`);
}

export type StreamTiming = { timeToFirstToken: number; decodeTokensPerSecond: number; tokens: number; endedAt: number };

/** Streams one completion, timing each content event as it arrives at the client. */
export async function timedStream(url: string, body: unknown, textOf: (event: Record<string, any>) => string | undefined): Promise<StreamTiming> {
    const started = performance.now();
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    const arrivals: number[] = [];
    const parser = createParser({
        onEvent: (event) => {
            if (event.data === "[DONE]") return;
            if (textOf(JSON.parse(event.data)) !== undefined) arrivals.push(performance.now());
        }
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
    const first = arrivals[0]!;
    const last = arrivals.at(-1)!;
    return { timeToFirstToken: (first - started) / 1000, decodeTokensPerSecond: (arrivals.length - 1) / ((last - first) / 1000), tokens: arrivals.length, endedAt: performance.now() };
}

