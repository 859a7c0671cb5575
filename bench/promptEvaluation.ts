/**
 * How fast each llama.cpp build evaluates a ~2,000-token prompt: node-llama-cpp's prebuilt binaries as they
 * come, the prebuilt binaries with the CPU backend `npm install` compiles (what lmhost runs where it could compile
 * it), the local OpenMP build (`npm run build:engine`, when it exists) and llama-server from the same
 * llama.cpp commit (when LMHOST_BENCH_LLAMA_SERVER names it), on the F16 and Q4_K_M bench models, 1 and 2
 * threads, in lmhost's engine environment. Each build runs in its own process (one Llama per process).
 *
 *   [LMHOST_BENCH_LLAMA_SERVER=/path/to/llama-server] npx tsx bench/promptEvaluation.ts [--runs 3]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { compiledCpuBackendVariant, engineEnvironment, offerCompiledCpuBackend } from "../src/engine/engineEnvironment.js";
import { fixtureCacheDir } from "../test/support/fixtures.js";
import { ensureBenchModel } from "./fixtures.js";
import { machineFacts, median, recordResult } from "./machine.js";
import { freePort, waitForHttp } from "./streams.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, child: { type: "string" }, model: { type: "string" }, threads: { type: "string" } } });
const runs = Number(values.runs);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const vocabulary = ["weather", "river", "mountain", "garden", "window", "letter", "morning", "silver", "orange", "market", "station", "pocket", "yellow", "bridge"];
const promptText = Array.from({ length: 520 }, (_, index) => vocabulary[(index * 7 + 13 + Math.floor(index / 5)) % vocabulary.length]).join(" ");

if (values.child !== undefined) {
    // One build in this process: print the prompt evaluation speeds of `runs` runs as JSON.
    if (values.child === "compiled") offerCompiledCpuBackend();
    const llama = await getLlama({ build: "never", gpu: false, maxThreads: Number(values.threads), logLevel: LlamaLogLevel.error,
        ...(values.child === "openmp" ? { usePrebuiltBinaries: false, cmakeOptions: { GGML_OPENMP: "ON" } } : {}) });
    const model = await llama.loadModel({ modelPath: values.model! });
    const context = await model.createContext({ contextSize: 4096, threads: Number(values.threads) });
    const sequence = context.getSequence();
    const tokens = model.tokenize(promptText, true);
    const speeds: number[] = [];
    for (let run = 0; run < runs + 1; run++) {
        await sequence.clearHistory();
        const started = performance.now();
        await sequence.evaluateWithoutGeneratingNewTokens(tokens);
        if (run > 0) speeds.push(tokens.length / ((performance.now() - started) / 1000));
    }
    process.stdout.write(JSON.stringify({ tokens: tokens.length, speeds }));
    process.exit(0);
}

function inChild(build: string, modelPath: string, threads: number): { tokens: number; speeds: number[] } {
    const result = spawnSync(process.execPath, ["--import", "tsx", here("./promptEvaluation.ts"), "--child", build, "--model", modelPath, "--threads", String(threads), "--runs", String(runs)],
        { env: engineEnvironment(process.env), encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${build} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as { tokens: number; speeds: number[] };
}

async function llamaServerSpeeds(binary: string, modelPath: string, threads: number): Promise<number[]> {
    const port = await freePort();
    const child = spawn(binary, ["-m", modelPath, "--port", String(port), "-t", String(threads), "-c", "4096", "-np", "1", "--log-disable"], { stdio: "ignore" });
    try {
        await waitForHttp(`http://127.0.0.1:${port}/health`, child);
        const speeds: number[] = [];
        for (let run = 0; run < runs + 1; run++) {
            const response = await fetch(`http://127.0.0.1:${port}/completion`, {
                method: "POST", headers: { "content-type": "application/json" },
                body: JSON.stringify({ prompt: promptText, n_predict: 1, cache_prompt: false })
            });
            const { timings } = await response.json() as { timings: { prompt_per_second: number } };
            if (run > 0) speeds.push(timings.prompt_per_second);
        }
        return speeds;
    } finally {
        child.kill("SIGTERM");
    }
}

const f16 = await ensureBenchModel();
const models = [{ label: f16.description, path: f16.path }];
const q4 = path.join(fixtureCacheDir, "bench", "bench-llama-768x12-Q4_K_M.gguf");
if (existsSync(q4)) models.push({ label: "same model, Q4_K_M by llama-quantize (123 MB)", path: q4 });
const compiledVariant = compiledCpuBackendVariant();
const builds = [
    { child: "prebuilt", label: "prebuilt, as it comes" },
    ...(compiledVariant === undefined ? [] : [{ child: "compiled", label: `prebuilt with the CPU backend compiled at install (${compiledVariant})` }]),
    ...(existsSync(here("../node_modules/node-llama-cpp/llama/localBuilds")) ? [{ child: "openmp", label: "local OpenMP build" }] : [])
];
const llamaServer = process.env.LMHOST_BENCH_LLAMA_SERVER;
const rows: string[] = [];
for (const model of models) {
    for (const threads of [1, 2]) {
        const speeds = builds.map((build) => inChild(build.child, model.path, threads).speeds);
        const server = llamaServer ? await llamaServerSpeeds(llamaServer, model.path, threads) : null;
        const ratio = (samples: number[]) => server === null ? "-" : `${(median(samples) / median(server)).toFixed(2)}x`;
        rows.push(`| ${model.label} | ${threads} | ${speeds.map((samples) => `${median(samples).toFixed(0)} (${ratio(samples)})`).join(" | ")} | ${server === null ? "-" : median(server).toFixed(0)} |`);
    }
}
const report = [
    `### Prompt evaluation of a ~2,000-token prompt (${new Date().toISOString().slice(0, 16)}Z)`,
    "",
    `${machineFacts()}; prompt tokens per second, medians of ${runs} runs after one warm-up; lmhost's engine environment`,
    "",
    `| model | threads | ${builds.map((build) => `${build.label} (vs llama-server)`).join(" | ")} | llama-server |`,
    `|---|---|${builds.map(() => "---|").join("")}---|`,
    ...rows,
    ""
].join("\n");
recordResult("prompt-evaluation", report);
