/**
 * Speculative decoding side by side: lmhost and llama-server (same llama.cpp commit), each without a draft and
 * with the same draft model and draft settings, one stream, greedy, interleaved run by run. Prints decode speed,
 * the speedup over no draft, and the acceptance rate (accepted / drafted) for each; also lmhost's prompt lookup and
 * llama-server's ngram-simple on a prompt the answer copies from.
 *
 *   LMHOST_BENCH_LLAMA_SERVER=/path/to/llama-server npx tsx bench/speculative.ts [--runs 3] [--tokens 128] [--draft-max 3] \
 *     [--engine-build prebuilt|openmp]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuBudget } from "../src/config.js";
import { placeModel, temporaryFolder } from "../test/support/fixtures.js";
import { ensureSpeculativePair } from "./fixtures.js";
import { machineFacts, median, recordResult } from "./machine.js";
import { freePort, waitForHttp } from "./streams.js";

const { values } = parseArgs({ options: {
    runs: { type: "string", default: "3" }, tokens: { type: "string", default: "128" }, "draft-max": { type: "string", default: "3" },
    "engine-build": { type: "string", default: "prebuilt" }
} });
const llamaServerBinary = process.env.LMHOST_BENCH_LLAMA_SERVER;
if (!llamaServerBinary) throw new Error("LMHOST_BENCH_LLAMA_SERVER must name a llama-server binary");
const runs = Number(values.runs);
const tokens = Number(values.tokens);
const draftMax = Number(values["draft-max"]);
const threads = cpuBudget();
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const { target, draft } = await ensureSpeculativePair();
const prompt = "The quick brown fox jumps over the lazy dog. Tell me about the weather today, please.";

type Sample = { tokensPerSecond: number; drafted: number; accepted: number };
const children: ChildProcess[] = [];

async function startLmhost(): Promise<string> {
    const modelsDir = await temporaryFolder("lmhost-bench-");
    await placeModel(modelsDir, "lmhost-bench/Target-GGUF/target.gguf", target.path);
    await placeModel(modelsDir, "lmhost-bench/Draft-GGUF/draft.gguf", draft.path);
    const port = await freePort();
    const child = spawn(process.execPath, [here("../dist/cli/main.js"), "serve", "--port", String(port), "--models-dir", modelsDir,
        "--no-hf-cache", "--no-ollama-models", "--parallel", "1", "--threads", String(threads), "--engine-build", values["engine-build"]!, "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, child);
    const load = async (body: object) => {
        const response = await fetch(`${url}/api/v1/models/load`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        if (!response.ok) throw new Error(`load failed: ${await response.text()}`);
    };
    await load({ model: "target", identifier: "plain", context_length: 4096 });
    await load({ model: "target", identifier: "drafted", context_length: 4096, draft_model: "draft", draft_max_tokens: draftMax, draft_min_confidence: 0 });
    await load({ model: "target", identifier: "lookup", context_length: 4096, prompt_lookup: true });
    return url;
}

async function startLlamaServer(extra: string[]): Promise<string> {
    const port = await freePort();
    const child = spawn(llamaServerBinary!, ["-m", target.path, "--port", String(port), "-t", String(threads), "-c", "4096", "-np", "1", "--log-disable", ...extra],
        { stdio: "ignore" });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, child);
    return url;
}

async function lmhostRun(url: string, model: string, text: string): Promise<Sample> {
    const response = await fetch(`${url}/api/v0/completions`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, prompt: text, max_tokens: tokens, temperature: 0, repeat_penalty: 1, cache_prompt: false })
    });
    const { stats } = await response.json() as { stats: Record<string, number> };
    return { tokensPerSecond: stats.tokens_per_second!, drafted: stats.total_draft_tokens_count ?? 0, accepted: stats.accepted_draft_tokens_count ?? 0 };
}

async function llamaServerRun(url: string, text: string): Promise<Sample> {
    const response = await fetch(`${url}/completion`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: text, n_predict: tokens, temperature: 0, repeat_penalty: 1, cache_prompt: false, ignore_eos: true })
    });
    const { timings } = await response.json() as { timings: Record<string, number> };
    return { tokensPerSecond: timings.predicted_per_second!, drafted: timings.draft_n ?? 0, accepted: timings.draft_n_accepted ?? 0 };
}

try {
    const lmhost = await startLmhost();
    const llamaPlain = await startLlamaServer([]);
    const llamaDrafted = await startLlamaServer(["--spec-type", "draft-simple", "-md", draft.path, "--spec-draft-n-max", String(draftMax), "--spec-draft-p-min", "0", "-td", String(threads)]);
    const llamaNgram = await startLlamaServer(["--spec-type", "ngram-simple"]);
    // A prompt the answer copies from: the model's own greedy answer to `prompt`, quoted before it is asked again.
    const first = await (await fetch(`${lmhost}/v1/completions`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "plain", prompt, max_tokens: tokens, temperature: 0, repeat_penalty: 1 })
    })).json() as { choices: Array<{ text: string }> };
    const copyPrompt = `${prompt}${first.choices[0]!.text}\n\n${prompt}`;
    const configurations: Array<{ name: string; run: () => Promise<Sample>; baseline: string }> = [
        { name: "lmhost, no draft", run: () => lmhostRun(lmhost, "plain", prompt), baseline: "lmhost, no draft" },
        { name: `lmhost, draft model (max ${draftMax})`, run: () => lmhostRun(lmhost, "drafted", prompt), baseline: "lmhost, no draft" },
        { name: "llama-server, no draft", run: () => llamaServerRun(llamaPlain, prompt), baseline: "llama-server, no draft" },
        { name: `llama-server, draft model (max ${draftMax})`, run: () => llamaServerRun(llamaDrafted, prompt), baseline: "llama-server, no draft" },
        { name: "lmhost, no draft, copying prompt", run: () => lmhostRun(lmhost, "plain", copyPrompt), baseline: "lmhost, no draft, copying prompt" },
        { name: "lmhost, prompt lookup, copying prompt", run: () => lmhostRun(lmhost, "lookup", copyPrompt), baseline: "lmhost, no draft, copying prompt" },
        { name: "llama-server, no draft, copying prompt", run: () => llamaServerRun(llamaPlain, copyPrompt), baseline: "llama-server, no draft, copying prompt" },
        { name: "llama-server, ngram-simple, copying prompt", run: () => llamaServerRun(llamaNgram, copyPrompt), baseline: "llama-server, no draft, copying prompt" }
    ];
    for (const configuration of configurations) await configuration.run();
    const samples = new Map<string, Sample[]>(configurations.map((configuration) => [configuration.name, []]));
    for (let run = 0; run < runs; run++) {
        for (const configuration of configurations) samples.get(configuration.name)!.push(await configuration.run());
    }
    const speed = (name: string) => median(samples.get(name)!.map((sample) => sample.tokensPerSecond));
    const rows = configurations.map(({ name, baseline }) => {
        const list = samples.get(name)!;
        const drafted = list.reduce((total, sample) => total + sample.drafted, 0);
        const accepted = list.reduce((total, sample) => total + sample.accepted, 0);
        const acceptance = drafted === 0 ? "-" : `${(100 * accepted / drafted).toFixed(0)}% (${(accepted / list.length).toFixed(0)} of ${(drafted / list.length).toFixed(0)})`;
        return `| ${name} | ${speed(name).toFixed(1)} | ${(speed(name) / speed(baseline)).toFixed(2)}x | ${acceptance} |`;
    });
    const report = [
        `### Speculative decoding, ${target.description}, draft ${draft.description}, lmhost engine build ${values["engine-build"]} (${new Date().toISOString().slice(0, 16)}Z)`,
        "",
        `${machineFacts()}; ${threads} threads, 1 slot, ${tokens} tokens greedy, repeat penalty off, medians of ${runs} interleaved runs`,
        "",
        "| configuration | decode tok/s | vs the same server without | accepted / drafted per answer |",
        "|---|---|---|---|",
        ...rows,
        ""
    ].join("\n");
    recordResult("speculative", report);
} finally {
    for (const child of children) child.kill("SIGTERM");
}
