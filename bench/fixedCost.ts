/**
 * The fixed cost per token and per batch, measured side by side: lmhost (streaming /v1/completions) against
 * llama-server built from the same llama.cpp commit, both with 4 parallel slots and the same threads, greedy,
 * interleaved run by run, for 1, 2, 4 and 8 concurrent streams, on a model small enough that a decode step takes
 * a few milliseconds (where a fixed cost decides the result).
 *
 *   LMHOST_BENCH_LLAMA_SERVER=/path/to/llama-server npx tsx bench/fixedCost.ts --model file.gguf \
 *     [--engine-build prebuilt|openmp] [--runs 3] [--tokens 96] [--label "Q4_K_M 106 MB"] [--without-shim]
 *
 * --without-shim runs a second lmhost with the threadpool shim off (LMHOST_THREADPOOL_SHIM=0), interleaved with
 * the other two, to show what the shim buys.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuBudget } from "../src/config.js";
import { placeModel, temporaryFolder } from "../test/support/fixtures.js";
import { machineFacts, median, recordResult } from "./machine.js";
import { freePort, timedStream, waitForHttp, type StreamTiming } from "./streams.js";

const { values } = parseArgs({ options: {
    model: { type: "string" }, "engine-build": { type: "string", default: "prebuilt" }, runs: { type: "string", default: "3" },
    tokens: { type: "string", default: "96" }, label: { type: "string" }, streams: { type: "string", default: "1,2,4,8" },
    "without-shim": { type: "boolean", default: false }
} });
if (!values.model) throw new Error("--model <file.gguf> is required");
const llamaServerBinary = process.env.LMHOST_BENCH_LLAMA_SERVER;
if (!llamaServerBinary) throw new Error("LMHOST_BENCH_LLAMA_SERVER must name a llama-server binary");
const runs = Number(values.runs);
const tokens = Number(values.tokens);
const threads = cpuBudget();
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const prompt = "The quick brown fox jumps over the lazy dog. Tell me about the weather today, please.";
const modelPath = path.resolve(values.model);

const modelsDir = await temporaryFolder("lmhost-bench-");
await placeModel(modelsDir, `lmhost-bench/Bench-GGUF/${path.basename(modelPath)}`, modelPath);
const startLmhost = (port: number, environment: NodeJS.ProcessEnv) => spawn(process.execPath, [here("../dist/cli/main.js"), "serve",
    "--port", String(port), "--models-dir", modelsDir, "--no-hf-cache", "--no-ollama-models", "--parallel", "4", "--threads", String(threads),
    "--engine-build", values["engine-build"]!, "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"], env: environment });
const port = await freePort();
const lmhost = startLmhost(port, process.env);
const withoutShimPort = await freePort();
const withoutShim = values["without-shim"] ? startLmhost(withoutShimPort, { ...process.env, LMHOST_THREADPOOL_SHIM: "0" }) : undefined;
const llamaServerPort = await freePort();
const llamaServer: ChildProcess = spawn(llamaServerBinary, ["-m", modelPath, "--port", String(llamaServerPort), "-t", String(threads),
    "-c", String(2048 * 4), "-np", "4", "--log-disable"], { stdio: "ignore" });

try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, lmhost);
    await waitForHttp(`http://127.0.0.1:${llamaServerPort}/health`, llamaServer);
    if (withoutShim) await waitForHttp(`http://127.0.0.1:${withoutShimPort}/health`, withoutShim);
    const modelId = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json() as { data: Array<{ id: string }> }).data[0]!.id;
    const lmhostStreamAt = (at: number) => () => timedStream(`http://127.0.0.1:${at}/v1/completions`,
        { model: modelId, prompt, max_tokens: tokens, temperature: 0, repeat_penalty: 1, stream: true, cache_prompt: false },
        (event) => event.choices?.[0]?.text || undefined);
    const lmhostStream = lmhostStreamAt(port);
    const withoutShimStream = lmhostStreamAt(withoutShimPort);
    const llamaServerStream = () => timedStream(`http://127.0.0.1:${llamaServerPort}/completion`,
        { prompt, n_predict: tokens, temperature: 0, stream: true, cache_prompt: false, ignore_eos: true }, (event) => event.content || undefined);
    const burst = async (streams: number, stream: () => Promise<StreamTiming>) => {
        const started = performance.now();
        const results = await Promise.all(Array.from({ length: streams }, () => stream()));
        const wall = (Math.max(...results.map((result) => result.endedAt)) - started) / 1000;
        return { aggregate: results.reduce((total, result) => total + result.tokens, 0) / wall, perStream: median(results.map((result) => result.decodeTokensPerSecond)) };
    };
    await burst(1, lmhostStream);
    await burst(1, llamaServerStream);
    if (withoutShim) await burst(1, withoutShimStream);
    const rows: string[] = [];
    for (const streams of values.streams!.split(",").map(Number)) {
        const ours: Array<{ aggregate: number; perStream: number }> = [];
        const theirs: Array<{ aggregate: number; perStream: number }> = [];
        const unshimmed: Array<{ aggregate: number; perStream: number }> = [];
        for (let run = 0; run < runs; run++) {
            ours.push(await burst(streams, lmhostStream));
            theirs.push(await burst(streams, llamaServerStream));
            if (withoutShim) unshimmed.push(await burst(streams, withoutShimStream));
        }
        const aggregate = (samples: typeof ours) => median(samples.map((sample) => sample.aggregate));
        const perStream = (samples: typeof ours) => median(samples.map((sample) => sample.perStream));
        const shimColumns = withoutShim ? ` ${aggregate(unshimmed).toFixed(1)} | ${(aggregate(unshimmed) / aggregate(theirs)).toFixed(2)}x |` : "";
        rows.push(`| ${streams} | ${aggregate(ours).toFixed(1)} | ${aggregate(theirs).toFixed(1)} | ${(aggregate(ours) / aggregate(theirs)).toFixed(2)}x | ` +
            `${perStream(ours).toFixed(1)} | ${perStream(theirs).toFixed(1)} |${shimColumns}`);
    }
    const report = [
        `### ${values.label ?? path.basename(modelPath)}, lmhost engine build ${values["engine-build"]} (${new Date().toISOString().slice(0, 16)}Z)`,
        "",
        `${machineFacts()}; ${threads} threads, 4 slots on both, ${tokens} tokens greedy, medians of ${runs} interleaved runs`,
        "",
        "| streams | lmhost aggregate tok/s | llama-server aggregate tok/s | lmhost vs llama-server | lmhost per-stream decode tok/s | llama-server per-stream |" +
            (withoutShim ? " lmhost without the threadpool shim, aggregate tok/s | without the shim vs llama-server |" : ""),
        "|---|---|---|---|---|---|" + (withoutShim ? "---|---|" : ""),
        ...rows,
        ""
    ].join("\n");
    recordResult("fixed-cost", report);
} finally {
    lmhost.kill("SIGTERM");
    withoutShim?.kill("SIGTERM");
    llamaServer.kill("SIGTERM");
}
