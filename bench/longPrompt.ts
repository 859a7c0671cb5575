/**
 * Time to first token of a fresh ~2,000-token prompt, alone and while 3 other streams decode, lmhost against
 * llama-server from the same llama.cpp commit (4 slots and the same threads on both), interleaved run by run.
 *
 *   LMHOST_BENCH_LLAMA_SERVER=/path/to/llama-server npx tsx bench/longPrompt.ts --model file.gguf \
 *     [--engine-build prebuilt|openmp] [--runs 3] [--label "Q4_K_M 123 MB"]
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuBudget } from "../src/config.js";
import { placeModel, temporaryFolder } from "../test/support/fixtures.js";
import { machineFacts, median, recordResult } from "./machine.js";
import { freePort, timedStream, waitForHttp } from "./streams.js";

const { values } = parseArgs({ options: {
    model: { type: "string" }, "engine-build": { type: "string", default: "prebuilt" }, runs: { type: "string", default: "3" }, label: { type: "string" }
} });
if (!values.model) throw new Error("--model <file.gguf> is required");
const llamaServerBinary = process.env.LMHOST_BENCH_LLAMA_SERVER;
if (!llamaServerBinary) throw new Error("LMHOST_BENCH_LLAMA_SERVER must name a llama-server binary");
const runs = Number(values.runs);
const threads = cpuBudget();
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const modelPath = path.resolve(values.model);
const vocabulary = ["weather", "river", "mountain", "garden", "window", "letter", "morning", "silver", "orange", "market", "station", "pocket", "yellow", "bridge"];
let prompts = 0;
/** About 2,000 tokens of this tokenizer, different from the first word on for every call (no prompt cache hit). */
const longPrompt = () => {
    const seed = ++prompts;
    return `Text ${seed}: ` + Array.from({ length: 520 }, (_, index) => vocabulary[(index * 7 + seed * 13 + Math.floor(index / 5) * seed) % vocabulary.length]).join(" ");
};
const children: ChildProcess[] = [];

try {
    const modelsDir = await temporaryFolder("lmhost-bench-");
    await placeModel(modelsDir, `lmhost-bench/Bench-GGUF/${path.basename(modelPath)}`, modelPath);
    const port = await freePort();
    const lmhostProcess = spawn(process.execPath, [here("../dist/cli/main.js"), "serve", "--port", String(port), "--models-dir", modelsDir, "--no-hf-cache",
        "--no-ollama-models", "--parallel", "4", "--context-length", "4096", "--threads", String(threads), "--engine-build", values["engine-build"]!,
        "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });
    children.push(lmhostProcess);
    const llamaServerPort = await freePort();
    const llamaServer = spawn(llamaServerBinary, ["-m", modelPath, "--port", String(llamaServerPort), "-t", String(threads), "-c", String(4096 * 4), "-np", "4",
        "--cache-ram", "0", "--log-disable"], { stdio: "ignore" });
    children.push(llamaServer);
    await waitForHttp(`http://127.0.0.1:${port}/health`, lmhostProcess);
    await waitForHttp(`http://127.0.0.1:${llamaServerPort}/health`, llamaServer);
    const modelId = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json() as { data: Array<{ id: string }> }).data[0]!.id;
    const servers = {
        lmhost: (prompt: string, tokens: number) => timedStream(`http://127.0.0.1:${port}/v1/completions`,
            { model: modelId, prompt, max_tokens: tokens, temperature: 0, repeat_penalty: 1, stream: true, cache_prompt: false },
            (event) => event.choices?.[0]?.text || undefined),
        "llama-server": (prompt: string, tokens: number) => timedStream(`http://127.0.0.1:${llamaServerPort}/completion`,
            { prompt, n_predict: tokens, temperature: 0, stream: true, cache_prompt: false, ignore_eos: true }, (event) => event.content || undefined)
    };
    /** TTFT of a long prompt; with `others`, while that many short-prompt streams decode (started first). */
    const measure = async (server: keyof typeof servers, others: number) => {
        const background = Array.from({ length: others }, () => servers[server]("The quick brown fox jumps over the lazy dog.", 400));
        if (others > 0) await new Promise((resolve) => setTimeout(resolve, 1500));
        const timing = await servers[server](longPrompt(), 4);
        await Promise.all(background);
        return timing.timeToFirstToken;
    };
    await measure("lmhost", 0);
    await measure("llama-server", 0);
    const rows: string[] = [];
    for (const others of [0, 3]) {
        const samples: Record<keyof typeof servers, number[]> = { lmhost: [], "llama-server": [] };
        for (let run = 0; run < runs; run++) for (const server of ["lmhost", "llama-server"] as const) samples[server].push(await measure(server, others));
        const ours = median(samples.lmhost);
        const theirs = median(samples["llama-server"]);
        // A ratio above 1 means lmhost's first token comes sooner.
        rows.push(`| ${others === 0 ? "alone" : "with 3 other streams decoding"} | ${ours.toFixed(2)} | ${theirs.toFixed(2)} | ${(theirs / ours).toFixed(2)}x |`);
    }
    const report = [
        `### Time to first token of a ~2,000-token prompt, ${values.label ?? path.basename(modelPath)}, lmhost engine build ${values["engine-build"]} (${new Date().toISOString().slice(0, 16)}Z)`,
        "",
        `${machineFacts()}; ${threads} threads, 4 slots on both, no prompt cache hit, medians of ${runs} interleaved runs; speed = llama-server's time / lmhost's`,
        "",
        "| when | lmhost TTFT (s) | llama-server TTFT (s) | lmhost speed vs llama-server |",
        "|---|---|---|---|",
        ...rows,
        ""
    ].join("\n");
    recordResult("long-prompt", report);
} finally {
    for (const child of children) child.kill("SIGTERM");
}
