/**
 * Decode speed of node-llama-cpp alone at 1 thread and at this machine's CPU budget: with libuv's default
 * thread pool, and with the environment lmhost's engine processes get (a one-thread pool, OpenMP spin, the
 * threadpool shim where it was built; and, to show what the shim buys, the same without it); with the
 * prebuilt binary, and with the local OpenMP build when `npm run build:engine` has made one. Runs are
 * interleaved and repeated; the table shows medians and each setting's speed relative to 1 thread, prebuilt,
 * default pool.
 *
 *   npm run bench:threads [-- --runs 3 --tokens 128]
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuBudget } from "../src/config.js";
import { engineEnvironment, threadpoolShimPath } from "../src/engine/engineEnvironment.js";
import { ensureFixtures } from "../test/support/fixtures.js";
import { ensureBenchModel } from "./fixtures.js";
import { machineFacts, median } from "./machine.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, tokens: { type: "string", default: "128" } } });
const runs = Number(values.runs);
const tokens = values.tokens!;
const decodeScript = fileURLToPath(new URL("./engineDecode.ts", import.meta.url));

type Setting = { threads: number; environment: "default" | "engine" | "engine without the shim"; build: "prebuilt" | "openmp" };
const shimBuilt = existsSync(threadpoolShimPath);
const budget = cpuBudget();
const hasOpenMpBuild = (() => {
    try {
        execFileSync(process.execPath, ["-e", "import('node-llama-cpp').then((m) => m.getLlama({ build: 'never', gpu: false, usePrebuiltBinaries: false, cmakeOptions: { GGML_OPENMP: 'ON' } }))"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
})();
const settings: Setting[] = (["prebuilt", ...(hasOpenMpBuild ? ["openmp" as const] : [])] as const).flatMap((build) =>
    [...new Set([1, budget])].flatMap((threads) => [
        { threads, environment: "default" as const, build }, { threads, environment: "engine" as const, build },
        ...(shimBuilt && threads > 1 ? [{ threads, environment: "engine without the shim" as const, build }] : [])
    ]));

function measure(modelPath: string, setting: Setting): number {
    const env = setting.environment === "engine" ? engineEnvironment()
        : setting.environment === "engine without the shim" ? engineEnvironment({ ...process.env, LMHOST_THREADPOOL_SHIM: "0" }) : { ...process.env };
    if (setting.environment === "default") delete env.UV_THREADPOOL_SIZE;
    const output = execFileSync(process.execPath, ["--import", "tsx", decodeScript, modelPath, String(setting.threads), tokens, setting.build], { env, encoding: "utf8" });
    return (JSON.parse(output.trim().split("\n").at(-1)!) as { decodeTokensPerSecond: number }).decodeTokensPerSecond;
}

const models = [
    { name: "bench 768x12 F16 (382 MB)", path: (await ensureBenchModel("gpt2")).path },
    { name: "tiny test chat 64x2 F16 (0.4 MB)", path: (await ensureFixtures()).chat }
];
const lines = [
    `Machine: ${machineFacts()}`,
    `Decode of ${tokens} tokens, one stream, greedy; median of ${runs} interleaved runs.`,
    "",
    "| model | build | threads | environment | decode tok/s | vs 1 thread, prebuilt, default pool |",
    "|---|---|---|---|---|---|"
];
for (const model of models) {
    const samples = new Map<Setting, number[]>(settings.map((setting) => [setting, []]));
    for (let run = 0; run < runs; run++) {
        for (const setting of settings) samples.get(setting)!.push(measure(model.path, setting));
    }
    const baseline = median(samples.get(settings[0]!)!);
    for (const setting of settings) {
        const speed = median(samples.get(setting)!);
        const environment = setting.environment === "engine" ? `lmhost engine (one-thread pool, OpenMP spin${shimBuilt ? ", threadpool shim" : ""})`
            : setting.environment === "engine without the shim" ? "lmhost engine without the threadpool shim" : "default";
        lines.push(`| ${model.name} | ${setting.build} | ${setting.threads} | ${environment} | ${speed.toFixed(1)} | ${(speed / baseline).toFixed(2)}x |`);
    }
}
const table = lines.join("\n");
console.log(table);
const folder = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(folder, { recursive: true });
writeFileSync(`${folder}threads-${new Date().toISOString().slice(0, 10)}.md`, `${table}\n`);
