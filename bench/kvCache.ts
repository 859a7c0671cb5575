/**
 * What a KV cache type costs and buys: the memory guard's estimate of the context's RAM and the decode speed of 4
 * concurrent streams, per kv_cache_type, on one model, interleaved run by run.
 *
 *   npx tsx bench/kvCache.ts --model file.gguf [--runs 3] [--tokens 96] [--context 4096]
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { cpuBudget } from "../src/config.js";
import { kvCacheTypes } from "../src/engine/protocol.js";
import { placeModel, temporaryFolder } from "../test/support/fixtures.js";
import { postJson, startTestServer } from "../test/support/testServer.js";
import { machineFacts, median, recordResult } from "./machine.js";
import { timedStream } from "./streams.js";

const { values } = parseArgs({ options: { model: { type: "string" }, runs: { type: "string", default: "3" }, tokens: { type: "string", default: "96" }, context: { type: "string", default: "4096" } } });
if (!values.model) throw new Error("--model <file.gguf> is required");
const modelPath = path.resolve(values.model);
const folder = await temporaryFolder("lmhost-bench-kv-");
await placeModel(folder, `lmhost-bench/Bench-GGUF/${path.basename(modelPath)}`, modelPath);
const server = await startTestServer({ modelsDir: folder, threads: cpuBudget(), maxJitModels: 4 });
try {
    const model = (await (await fetch(`${server.url}/v1/models`)).json() as { data: Array<{ id: string }> }).data[0]!.id;
    for (const type of kvCacheTypes) {
        const loaded = await postJson(`${server.url}/api/v1/models/load`, { model, identifier: `kv-${type}`, kv_cache_type: type, context_length: Number(values.context), parallel: 4 });
        if (!loaded.ok) throw new Error(await loaded.text());
    }
    const speeds = new Map<string, number[]>(kvCacheTypes.map((type) => [type, []]));
    for (let run = 0; run < Number(values.runs); run++) {
        for (const type of kvCacheTypes) {
            const started = performance.now();
            const results = await Promise.all(Array.from({ length: 4 }, (_, index) => timedStream(`${server.url}/v1/completions`,
                { model: `kv-${type}`, prompt: `The quick brown fox ${index}`, max_tokens: Number(values.tokens), temperature: 0, repeat_penalty: 1, stream: true },
                (event) => event.choices?.[0]?.text || undefined)));
            const wall = (Math.max(...results.map((result) => result.endedAt)) - started) / 1000;
            speeds.get(type)!.push(results.reduce((total, result) => total + result.tokens, 0) / wall);
        }
    }
    const ram = (type: string) => server.lifecycle.instanceNamed(`kv-${type}`)!.engine.estimate.contextRam;
    const rows = kvCacheTypes.map((type) => `| ${type} | ${(ram(type) / 2 ** 20).toFixed(0)} | ${(ram(type) / ram("f16")).toFixed(2)}x | ${median(speeds.get(type)!).toFixed(1)} |`);
    const report = [`### KV cache types: ${path.basename(modelPath)}, context ${values.context} x 4 sequences (${new Date().toISOString().slice(0, 16)}Z)`, "",
        `${machineFacts()}; ${cpuBudget()} threads, 4 streams of ${values.tokens} tokens, medians of ${values.runs} interleaved runs`, "",
        "| kv_cache_type | context RAM estimate (MiB) | vs f16 | 4-stream aggregate tok/s |", "|---|---|---|---|", ...rows, ""].join("\n");
    recordResult("kv-cache", report);
} finally {
    await server.close();
}
