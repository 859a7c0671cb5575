/**
 * Soak test (`npm run soak`, not part of `npm test`): minutes of mixed traffic against `lmhost serve` run as
 * users run it, then a report of requests served, outcomes by kind, and the memory (RSS) of the server and
 * its engine processes over time. Fails (exit 1) on any unexpected outcome (a 5xx other than a full queue,
 * a dropped connection, a stream without its end) or when memory keeps growing after warm-up.
 *
 *   npm run soak -- --minutes 3 --clients 8
 */
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { standardModelsFolder } from "../test/support/fixtures.js";
import { readEventStream } from "../test/support/sse.js";

const { values } = parseArgs({
    options: {
        minutes: { type: "string", default: "3" },
        clients: { type: "string", default: "8" }
    }
});
const minutes = Number(values.minutes);
const clients = Number(values.clients);
const sampleEveryMs = 5000;

type Kind = "chat stream" | "completion" | "embeddings" | "aborted stream" | "aborted request" | "bad request";
const kinds: Kind[] = ["chat stream", "completion", "embeddings", "aborted stream", "aborted request", "bad request"];
/** What each kind should end in; anything else is unexpected. */
const expected: Record<Kind, RegExp> = {
    "chat stream": /^(200|503 queue_full)$/,
    completion: /^(200|503 queue_full)$/,
    embeddings: /^(200|503 queue_full)$/,
    "aborted stream": /^(aborted|200|503 queue_full)$/,
    "aborted request": /^(aborted|200|503 queue_full)$/,
    "bad request": /^400 /
};

/** RSS in bytes of a process and everything it started (the engine workers). */
function treeRss(rootPid: number): number {
    const rows = execFileSync("ps", ["-A", "-o", "pid=,ppid=,rss="], { encoding: "utf8" }).trim().split("\n")
        .map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number]);
    const inTree = new Set([rootPid]);
    for (let grew = true; grew;) {
        grew = false;
        for (const [pid, ppid] of rows) if (inTree.has(ppid) && !inTree.has(pid)) { inTree.add(pid); grew = true; }
    }
    return rows.filter(([pid]) => inTree.has(pid)).reduce((total, [, , rss]) => total + rss * 1024, 0);
}

async function startServer(): Promise<{ url: string; pid: number; stop(): Promise<number | null> }> {
    const bin = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
    const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--models-dir", await standardModelsFolder(),
        "--no-hf-cache", "--no-ollama-models", "--parallel", "4", "--max-queue", "16"], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
        const read = (data: Buffer) => {
            output += data;
            const match = /lmhost listening on (\S+)/.exec(output);
            if (match) resolve(match[1]!);
        };
        child.stdout.on("data", read);
        child.stderr.on("data", read);
        child.once("exit", (code) => reject(new Error(`lmhost serve exited with ${code}: ${output}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    return { url, pid: child.pid!, stop: () => { child.kill("SIGTERM"); return exited; } };
}

function pick<T>(items: readonly T[]): T {
    return items[Math.floor(Math.random() * items.length)]!;
}

async function send(url: string, kind: Kind): Promise<string> {
    const controller = new AbortController();
    const post = (path: string, body: unknown) => fetch(`${url}${path}`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: controller.signal
    });
    const words = Array.from({ length: 1 + Math.floor(Math.random() * 60) }, () => pick(["the", "model", "story", "time", "river", "light"])).join(" ");
    const outcome = async (response: Response) => {
        if (response.status === 200) return "200";
        const error = (await response.json()).error;
        return `${response.status} ${error.code ?? error.type}`;
    };
    try {
        switch (kind) {
            case "chat stream": {
                const response = await post("/v1/chat/completions", {
                    model: "tiny-chat", stream: true, max_tokens: 16 + Math.floor(Math.random() * 200),
                    messages: [{ role: "system", content: "You are terse." }, { role: "user", content: words }]
                });
                if (response.status !== 200) return outcome(response);
                const { events } = await readEventStream(response);
                return events.at(-1)?.data === "[DONE]" ? "200" : "stream without [DONE]";
            }
            case "completion": {
                const response = await post("/api/v0/completions", { model: "tiny-chat", prompt: words, max_tokens: 16 + Math.floor(Math.random() * 200) });
                if (response.status !== 200) return outcome(response);
                return (await response.json()).usage.completion_tokens > 0 ? "200" : "200 without tokens";
            }
            case "embeddings": {
                const inputs = Array.from({ length: 1 + Math.floor(Math.random() * 16) }, () => words);
                const response = await post("/v1/embeddings", { model: "text-embedding-tiny-embed", input: inputs });
                if (response.status !== 200) return outcome(response);
                return (await response.json()).data.length === inputs.length ? "200" : "200 with missing vectors";
            }
            case "aborted stream": {
                const response = await post("/api/v0/chat/completions", { model: "tiny-chat", stream: true, max_tokens: 2000, messages: [{ role: "user", content: words }] });
                if (response.status !== 200) return outcome(response);
                const reader = response.body!.getReader();
                for (let chunks = Math.floor(Math.random() * 30); chunks > 0; chunks--) if ((await reader.read()).done) return "200";
                controller.abort();
                return "aborted";
            }
            case "aborted request": {
                setTimeout(() => controller.abort(), Math.random() * 300);
                const response = await post("/v1/completions", { model: "tiny-chat", prompt: words, max_tokens: 2000 });
                await response.text();
                return response.status === 200 ? "200" : outcome(response);
            }
            case "bad request": {
                const response = await post("/v1/chat/completions", { model: "tiny-chat", messages: [], temperature: 7 });
                return outcome(response);
            }
        }
    } catch (error) {
        if ((error as Error).name === "AbortError") return "aborted";
        return `network error: ${(error as Error).message}`;
    }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

async function main(): Promise<void> {
    const server = await startServer();
    const outcomes = new Map<string, number>();
    const samples: Array<{ at: number; rss: number }> = [];
    const startedAt = Date.now();
    const endsAt = startedAt + minutes * 60_000;
    const sample = () => samples.push({ at: (Date.now() - startedAt) / 1000, rss: treeRss(server.pid) });
    sample();
    const sampler = setInterval(sample, sampleEveryMs);
    let unexpected = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
        while (Date.now() < endsAt) {
            const kind = pick(kinds);
            const result = await send(server.url, kind);
            if (process.env.SOAK_DEBUG) console.log(kind, result);
            const key = `${kind}: ${result}`;
            outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
            if (!expected[kind].test(result)) unexpected++;
        }
    }));
    clearInterval(sampler);
    sample();
    const health = await fetch(`${server.url}/api/v0/models`).then((response) => response.status).catch(() => 0);
    const exitCode = await server.stop();

    // Warm-up (first fifth) excluded: models load and allocators settle. Then the second half must not keep growing.
    const settled = samples.filter((entry) => entry.at >= minutes * 12);
    const middle = settled[Math.floor(settled.length / 2)]!.rss;
    const end = samples.at(-1)!.rss;
    const allowed = Math.max(0.1 * middle, 32 * 2 ** 20);
    const bounded = end - middle <= allowed;
    const total = [...outcomes.values()].reduce((sum, count) => sum + count, 0);
    const lines = [
        `## Soak ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${minutes} min, ${clients} clients, --parallel 4 --max-queue 16`,
        "",
        `${total} requests (${(total / (minutes * 60)).toFixed(1)}/s); ${unexpected} unexpected outcomes; ` +
            `server answering afterwards: ${health === 200 ? "yes" : "NO"}; exit on SIGTERM: ${exitCode}.`,
        "",
        "| outcome | requests |",
        "|---|---:|",
        ...[...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => `| ${key} | ${count} |`),
        "",
        `RSS of the server and its engine processes: start ${mb(samples[0]!.rss)}, after warm-up ${mb(settled[0]!.rss)}, ` +
            `middle ${mb(middle)}, end ${mb(end)}, peak ${mb(Math.max(...samples.map((entry) => entry.rss)))}; ` +
            `second-half growth ${mb(end - middle)} (allowed ${mb(allowed)}): ${bounded ? "bounded" : "GROWING"}.`,
        ""
    ];
    const report = lines.join("\n");
    console.log(report);
    const file = fileURLToPath(new URL(`../bench/results/soak-${new Date().toISOString().slice(0, 10)}.md`, import.meta.url));
    await mkdir(fileURLToPath(new URL("../bench/results/", import.meta.url)), { recursive: true });
    await writeFile(file, report);
    console.log(`Saved to ${file}`);
    if (unexpected > 0 || !bounded || health !== 200 || exitCode !== 0) process.exitCode = 1;
}

await main();
