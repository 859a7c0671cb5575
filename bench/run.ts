/**
 * lmhost's benchmark, every comparison measured side by side in one run on a generated model large enough
 * that decoding dominates (bench/fixtures.ts):
 *
 * 1. One stream: node-llama-cpp alone vs lmhost's streaming HTTP API (and llama-server when
 *    LMHOST_BENCH_LLAMA_SERVER names a llama-server binary built from the same llama.cpp), interleaved runs.
 * 2. 1, 2, 4 and 8 concurrent streams: aggregate decode speed and per-stream time to first token (and
 *    llama-server's aggregate with 4 slots, when it is given).
 * 3. The prompt cache: time to first token of a follow-up chat turn with and without prefix reuse.
 * 4. GET /api/v0/models latency while 4 streams generate, and idle.
 *
 *   npm run bench [-- --runs 3 --tokens 128]
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuBudget } from "../src/config.js";
import { engineEnvironment } from "../src/engine/engineEnvironment.js";
import { placeModel, temporaryFolder } from "../test/support/fixtures.js";
import { ensureBenchModel } from "./fixtures.js";
import { machineFacts, median } from "./machine.js";
import { freePort, timedStream, waitForHttp, type StreamTiming } from "./streams.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, tokens: { type: "string", default: "128" } } });
const runs = Number(values.runs);
const tokens = Number(values.tokens);
const threads = cpuBudget();
const prompt = "The quick brown fox jumps over the lazy dog. Tell me about the weather today, please.";
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const percentile = (values: number[], fraction: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
};
const fixed = (value: number, digits = 1) => value.toFixed(digits);

function engineAlone(modelPath: string, build: string): { timeToFirstToken: number; decodeTokensPerSecond: number } {
    const output = execFileSync(process.execPath, ["--import", "tsx", here("./engineDecode.ts"), modelPath, String(threads), String(tokens), build],
        { env: engineEnvironment(), encoding: "utf8" });
    return JSON.parse(output.trim().split("\n").at(-1)!);
}

const benchModel = await ensureBenchModel("large");
const modelPath = benchModel.path;
const modelsDir = await temporaryFolder("lmhost-bench-");
await placeModel(modelsDir, `lmhost-bench/Bench-GGUF/${path.basename(modelPath)}`, modelPath);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ["--import", "tsx", here("../src/cli/main.ts"), "serve", "--port", String(port), "--models-dir", modelsDir,
    "--no-hf-cache", "--no-ollama-models", "--parallel", "4", "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });
const llamaServerBinary = process.env.LMHOST_BENCH_LLAMA_SERVER;
let llamaServer: ChildProcess | undefined;
const llamaServerPort = await freePort();

try {
    await waitForHttp(`${base}/api/v0/models`, server);
    const model = benchModel.name;
    // Greedy without penalties: the same sampling work as the engine-alone loop and llama-server's defaults.
    const completion = (extra: Record<string, unknown> = {}) => ({ model, prompt, max_tokens: tokens, temperature: 0, repeat_penalty: 1, stream: true, cache_prompt: false, ...extra });
    const lmhostStream = () => timedStream(`${base}/api/v0/completions`, completion(), (event) => event.choices?.[0]?.text || undefined);
    const warm = await (await fetch(`${base}/api/v0/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...completion(), stream: false, max_tokens: 4 }) })).json() as { runtime: { name: string } };
    const build = warm.runtime.name.endsWith("-openmp") ? "openmp" : "prebuilt";
    if (llamaServerBinary) {
        llamaServer = spawn(llamaServerBinary, ["-m", modelPath, "--port", String(llamaServerPort), "-t", String(threads), "-c", String(2048 * 4), "-np", "4", "--log-disable"], { stdio: "ignore" });
        await waitForHttp(`http://127.0.0.1:${llamaServerPort}/health`, llamaServer);
    }
    const llamaServerStream = () => timedStream(`http://127.0.0.1:${llamaServerPort}/completion`,
        { prompt, n_predict: tokens, temperature: 0, stream: true, cache_prompt: false }, (event) => event.content || undefined);

    // 1. One stream, interleaved.
    const single = { engine: [] as Array<{ timeToFirstToken: number; decodeTokensPerSecond: number }>, lmhost: [] as StreamTiming[], llamaServer: [] as StreamTiming[] };
    for (let run = 0; run < runs; run++) {
        single.engine.push(engineAlone(modelPath, build));
        single.lmhost.push(await lmhostStream());
        if (llamaServer) single.llamaServer.push(await llamaServerStream());
    }
    const decode = (samples: Array<{ decodeTokensPerSecond: number }>) => median(samples.map((sample) => sample.decodeTokensPerSecond));
    const firstToken = (samples: Array<{ timeToFirstToken: number }>) => median(samples.map((sample) => sample.timeToFirstToken * 1000));
    const engineDecode = decode(single.engine);

    // 2. Concurrent streams.
    const concurrency: string[] = [];
    let oneStreamAggregate = 0;
    for (const streams of [1, 2, 4, 8]) {
        const aggregates: number[] = [];
        const llamaServerAggregates: number[] = [];
        const firsts: number[] = [];
        const burst = async (stream: () => Promise<StreamTiming>) => {
            const started = performance.now();
            const results = await Promise.all(Array.from({ length: streams }, () => stream()));
            const wall = (Math.max(...results.map((result) => result.endedAt)) - started) / 1000;
            return { aggregate: results.reduce((total, result) => total + result.tokens, 0) / wall, results };
        };
        for (let run = 0; run < runs; run++) {
            const { aggregate, results } = await burst(lmhostStream);
            aggregates.push(aggregate);
            firsts.push(...results.map((result) => result.timeToFirstToken * 1000));
            if (llamaServer) llamaServerAggregates.push((await burst(llamaServerStream)).aggregate);
        }
        const aggregate = median(aggregates);
        if (streams === 1) oneStreamAggregate = aggregate;
        const versusLlamaServer = llamaServer ? ` ${fixed(median(llamaServerAggregates))} | ${fixed(aggregate / median(llamaServerAggregates), 2)}x |` : "";
        concurrency.push(`| ${streams} | ${fixed(aggregate)} | ${fixed(aggregate / oneStreamAggregate, 2)}x | ${fixed(percentile(firsts, 0.5), 0)} | ${fixed(percentile(firsts, 0.95), 0)} |${versusLlamaServer}`);
    }

    // 3. The prompt cache: a follow-up chat turn.
    const system = { role: "system", content: "You are a helpful assistant. Answer every question about the weather in one short sentence. ".repeat(12) };
    const cacheRows: string[] = [];
    const cached: number[] = [];
    const uncached: number[] = [];
    let followUpPromptTokens = 0;
    for (let run = 0; run < runs; run++) {
        const firstTurn = [system, { role: "user", content: `What is the weather in city number ${run}?` }];
        const answer = await (await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages: firstTurn, max_tokens: 16, temperature: 0 }) })).json() as { choices: Array<{ message: { content: string } }> };
        const followUp = [...firstTurn, { role: "assistant", content: answer.choices[0]!.message.content }, { role: "user", content: "And tomorrow?" }];
        for (const cachePrompt of [true, false]) {
            const timing = await timedStream(`${base}/v1/chat/completions`, { model, messages: followUp, max_tokens: 8, temperature: 0, stream: true, cache_prompt: cachePrompt, stream_options: { include_usage: true } },
                (event) => event.choices?.[0]?.delta?.content || undefined);
            (cachePrompt ? cached : uncached).push(timing.timeToFirstToken * 1000);
        }
        const usage = await (await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages: followUp, max_tokens: 1, temperature: 0 }) })).json() as { usage: { prompt_tokens: number } };
        followUpPromptTokens = usage.usage.prompt_tokens;
    }
    cacheRows.push(`| prefix reused | ${fixed(median(cached), 0)} |`, `| whole prompt evaluated (cache_prompt: false) | ${fixed(median(uncached), 0)} |`);

    // 4. Metadata latency, idle and while 4 streams generate.
    const listLatency = async (count: number) => {
        const samples: number[] = [];
        for (let i = 0; i < count; i++) {
            const started = performance.now();
            await (await fetch(`${base}/api/v0/models`)).json();
            samples.push(performance.now() - started);
        }
        return samples;
    };
    const idle = await listLatency(100);
    const load = Promise.all(Array.from({ length: 4 }, () => timedStream(`${base}/api/v0/completions`, completion({ max_tokens: tokens * 4 }), (event) => event.choices?.[0]?.text || undefined)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const busy = await listLatency(100);
    await load;

    const lines = [
        `Machine: ${machineFacts()}`,
        `Engine: ${warm.runtime.name}, ${threads} threads per model, --parallel 4. Model: ${benchModel.description}, greedy, ` +
        `${tokens} tokens, prompt "${prompt.slice(0, 30)}...". Medians of ${runs} interleaved runs; times measured at the client.`,
        "",
        "**One stream**",
        "",
        "| engine | decode tok/s | time to first token (ms) | decode vs engine alone | per-token cost vs engine alone (ms) |",
        "|---|---|---|---|---|",
        ...[
            ["node-llama-cpp alone (same build, threads and engine environment)", single.engine],
            ["lmhost, streaming HTTP (/api/v0/completions)", single.lmhost],
            ...(llamaServer ? [["llama-server (same llama.cpp commit, OpenMP, streaming HTTP)", single.llamaServer] as const] : [])
        ].map(([name, samples]) => {
            const speed = decode(samples as Array<{ decodeTokensPerSecond: number }>);
            return `| ${name} | ${fixed(speed)} | ${fixed(firstToken(samples as Array<{ timeToFirstToken: number }>), 0)} | ${fixed(speed / engineDecode, 2)}x | ` +
                `${fixed(1000 / speed - 1000 / engineDecode, 2)} |`;
        }),
        "",
        "**Concurrent streams** (4 parallel slots; 8 streams means 4 wait in the queue)",
        "",
        `| streams | aggregate tok/s | vs 1 stream | time to first token p50 (ms) | p95 (ms) |${llamaServer ? " llama-server -np 4 aggregate tok/s | lmhost vs llama-server |" : ""}`,
        `|---|---|---|---|---|${llamaServer ? "---|---|" : ""}`,
        ...concurrency,
        "",
        `**Prompt cache**: a follow-up chat turn (${followUpPromptTokens}-token prompt, most of it the previous turn)`,
        "",
        "| follow-up turn | time to first token (ms) |",
        "|---|---|",
        ...cacheRows,
        "",
        "**GET /api/v0/models latency**",
        "",
        "| while | p50 (ms) | p99 (ms) |",
        "|---|---|---|",
        `| idle | ${fixed(percentile(idle, 0.5))} | ${fixed(percentile(idle, 0.99))} |`,
        `| 4 streams generating | ${fixed(percentile(busy, 0.5))} | ${fixed(percentile(busy, 0.99))} |`
    ];
    const table = lines.join("\n");
    console.log(table);
    const folder = here("./results/");
    mkdirSync(folder, { recursive: true });
    writeFileSync(`${folder}bench-${new Date().toISOString().slice(0, 10)}.md`, `${table}\n`);
} finally {
    server.kill("SIGTERM");
    llamaServer?.kill("SIGTERM");
}
