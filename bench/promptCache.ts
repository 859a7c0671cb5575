/**
 * The host prompt cache, measured: the time to first token of a returning ~2,000-token conversation after four
 * other conversations (at once, one per sequence) pushed it out of every sequence, with the cache and without, on
 * lmhost and on llama-server (its --cache-ram), interleaved run by run. Each run uses conversations of its own.
 *
 *   LMHOST_BENCH_LLAMA_SERVER=/path/to/llama-server npx tsx bench/promptCache.ts [--runs 3] [--words 520] [--engine-build prebuilt|openmp]
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuBudget } from "../src/config.js";
import { placeModel, temporaryFolder } from "../test/support/fixtures.js";
import { ensureBenchModel } from "./fixtures.js";
import { machineFacts, median, recordResult } from "./machine.js";
import { freePort, timedStream, waitForHttp } from "./streams.js";

const { values } = parseArgs({ options: {
    runs: { type: "string", default: "3" }, words: { type: "string", default: "520" }, "engine-build": { type: "string", default: "prebuilt" }
} });
const llamaServerBinary = process.env.LMHOST_BENCH_LLAMA_SERVER;
if (!llamaServerBinary) throw new Error("LMHOST_BENCH_LLAMA_SERVER must name a llama-server binary");
const runs = Number(values.runs);
const threads = cpuBudget();
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const model = await ensureBenchModel();
const contextLength = 4096;
const children: ChildProcess[] = [];
const vocabulary = ["weather", "river", "mountain", "garden", "window", "letter", "morning", "silver", "orange", "market", "station", "pocket", "yellow", "bridge"];
let conversations = 0;
/** A conversation's first message, unlike any other's from its first words. */
const conversation = () => {
    const seed = ++conversations;
    return `Conversation ${seed}: ` + Array.from({ length: Number(values.words) }, (_, index) => vocabulary[(index * 7 + seed * 13 + Math.floor(index / 5) * seed) % vocabulary.length]).join(" ");
};

async function lmhost(cacheSize: string): Promise<string> {
    const modelsDir = await temporaryFolder("lmhost-bench-");
    await placeModel(modelsDir, `lmhost-bench/Bench-GGUF/${path.basename(model.path)}`, model.path);
    const port = await freePort();
    const child = spawn(process.execPath, [here("../dist/cli/main.js"), "serve", "--port", String(port), "--models-dir", modelsDir, "--no-hf-cache",
        "--no-ollama-models", "--parallel", "4", "--context-length", String(contextLength), "--threads", String(threads), "--engine-build", values["engine-build"]!,
        "--prompt-cache-size", cacheSize, "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });
    children.push(child);
    await waitForHttp(`http://127.0.0.1:${port}/health`, child);
    return `http://127.0.0.1:${port}`;
}

async function llamaServer(cacheRamMiB: string): Promise<string> {
    const port = await freePort();
    const child = spawn(llamaServerBinary!, ["-m", model.path, "--port", String(port), "-t", String(threads), "-c", String(contextLength * 4), "-np", "4",
        "--cache-ram", cacheRamMiB, "--log-disable"], { stdio: "ignore" });
    children.push(child);
    await waitForHttp(`http://127.0.0.1:${port}/health`, child);
    return `http://127.0.0.1:${port}`;
}

const ask = (url: string, content: string) => timedStream(`${url}/v1/chat/completions`,
    { model: model.name, messages: [{ role: "user", content }], max_tokens: 8, temperature: 0, stream: true },
    (event) => event.choices?.[0]?.delta?.content || undefined);

/** Time to first token of a conversation coming back after four others took every sequence. */
async function returning(url: string): Promise<{ first: number; back: number }> {
    const returner = conversation();
    const first = await ask(url, returner);
    await Promise.all(Array.from({ length: 4 }, () => ask(url, conversation())));
    const back = await ask(url, returner);
    return { first: first.timeToFirstToken, back: back.timeToFirstToken };
}

try {
    const servers = [
        { name: "lmhost, prompt cache 4GB (default)", url: await lmhost("4GB") },
        { name: "lmhost, prompt cache off", url: await lmhost("0") },
        { name: "llama-server, --cache-ram 8192 (its default)", url: await llamaServer("8192") },
        { name: "llama-server, --cache-ram 0", url: await llamaServer("0") }
    ];
    for (const server of servers) await ask(server.url, "Hello");
    const samples = new Map(servers.map((server) => [server.name, [] as Array<{ first: number; back: number }>]));
    for (let run = 0; run < runs; run++) for (const server of servers) samples.get(server.name)!.push(await returning(server.url));
    const rows = servers.map(({ name }) => {
        const list = samples.get(name)!;
        const first = median(list.map((sample) => sample.first));
        const back = median(list.map((sample) => sample.back));
        return `| ${name} | ${first.toFixed(2)} | ${back.toFixed(2)} | ${(first / back).toFixed(1)}x |`;
    });
    const report = [
        `### Host prompt cache, ${model.description}, lmhost engine build ${values["engine-build"]} (${new Date().toISOString().slice(0, 16)}Z)`,
        "",
        `${machineFacts()}; ${threads} threads, 4 sequences of ${contextLength} tokens on both; a ${values.words}-word first message ` +
        `(about 2,000 tokens), then 4 other such conversations at once, then the first again; medians of ${runs} interleaved runs`,
        "",
        "| server | time to first token, first time (s) | coming back after 4 others (s) | faster by |",
        "|---|---|---|---|",
        ...rows,
        ""
    ].join("\n");
    recordResult("prompt-cache", report);
} finally {
    for (const child of children) child.kill("SIGTERM");
}
