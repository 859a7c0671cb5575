/**
 * The threadpool shim in a real engine process environment: it attaches one persistent ggml threadpool to the
 * context (where the prebuilt CPU binaries would start worker threads for every decode) and leaves greedy output
 * as it was.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { engineEnvironment, threadpoolShimPath } from "../../src/engine/engineEnvironment.js";
import { ensureFixtures, temporaryFolder } from "../support/fixtures.js";

const compilerFound = process.platform === "linux" && spawnSync(process.env.CC || "cc", ["--version"]).status === 0;

/** Decodes greedily in a child with the given environment; reports the tokens, the threads left and the shim's say. */
async function decodeIn(environment: NodeJS.ProcessEnv, modelPath: string) {
    const script = `
        import { getLlama } from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve("node-llama-cpp")).href)};
        import { readdirSync, readFileSync } from "node:fs";
        const llama = await getLlama({ gpu: false, build: "never", usePrebuiltBinaries: true, logLevel: "disabled" });
        const model = await llama.loadModel({ modelPath: ${JSON.stringify(modelPath)} });
        const context = await model.createContext({ contextSize: 256, threads: 2 });
        const sequence = context.getSequence();
        const tokens = [];
        for await (const token of sequence.evaluate(model.tokenize("Once upon a time"), { temperature: 0 })) {
            tokens.push(token);
            if (tokens.length === 24) break;
        }
        const shimLoaded = readFileSync("/proc/self/maps", "utf8").includes("libthreadpool-shim.so");
        console.log(JSON.stringify({ tokens, threads: readdirSync("/proc/self/task").length, shimLoaded }));
    `;
    // A file, not node -e: node-llama-cpp tests its binary in a fork that inherits the parent's node options.
    const file = path.join(await temporaryFolder(), "decode.mjs");
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], { env: environment, encoding: "utf8", timeout: 60_000 });
    expect(child.status, child.stderr).toBe(0);
    return { ...JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { tokens: number[]; threads: number; shimLoaded: boolean }, stderr: child.stderr };
}

describe.runIf(compilerFound)("the threadpool shim", () => {
    it("attaches one persistent threadpool for a whole generation and leaves greedy output unchanged", async () => {
        expect(existsSync(threadpoolShimPath), "npm install compiles it (node scripts/build-native.mjs)").toBe(true);
        const { chat } = await ensureFixtures();
        const shimmed = await decodeIn(engineEnvironment({ ...process.env, LMHOST_THREADPOOL_SHIM_DEBUG: "1" }), chat);
        const plain = await decodeIn(engineEnvironment({ ...process.env, LMHOST_THREADPOOL_SHIM: "0" }), chat);
        expect(shimmed.shimLoaded).toBe(true);
        expect(plain.shimLoaded).toBe(false);
        // One pool for 24 decodes, sized for the context's two threads.
        expect(shimmed.stderr.match(/threadpool shim: \d+ threads/g)).toEqual(["threadpool shim: 2 threads"]);
        // Its worker thread stays between decodes; without it ggml joins its threads after every graph.
        expect(shimmed.threads).toBe(plain.threads + 1);
        expect(shimmed.tokens).toEqual(plain.tokens);
    });
});
