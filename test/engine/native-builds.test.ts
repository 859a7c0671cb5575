/**
 * What npm install compiles for this machine (scripts/build-native.mjs), in a real engine's environment: the
 * threadpool shim attaches one persistent ggml threadpool to a context (where the prebuilt CPU binaries would
 * start worker threads for every decode); the CPU backend compiled here loads in place of the prebuilt CPU
 * variants, with the prebuilt ggml it was built against, and they load instead when it cannot. Greedy output is
 * the same every way.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compiledCpuBackendFolder, compiledCpuBackendVariant, engineEnvironment, threadpoolShimPath } from "../../src/engine/engineEnvironment.js";
import { ensureFixtures, temporaryFolder } from "../support/fixtures.js";

const found = (command: string) => spawnSync(command, ["--version"]).status === 0;
const linux = process.platform === "linux";
const cCompilerFound = linux && found(process.env.CC || "cc");
const cpuBackendToolsFound = linux && process.arch === "x64" && found("git") && found("cmake") && found(process.env.CXX || "c++");

let modelPath: string;
beforeAll(async () => {
    modelPath = (await ensureFixtures()).chat;
});

type Decoded = { tokens: number[]; threads: number; ggmlLibraries: string[]; stderr: string };

const bindingUrl = pathToFileURL(createRequire(import.meta.url).resolve("node-llama-cpp")).href;

/** Runs an ES module in a child with this environment; its stdout's last line is JSON. */
async function runModule<T>(script: string, environment: NodeJS.ProcessEnv): Promise<T & { stderr: string }> {
    // A file, not node -e: node-llama-cpp tests its binary in a fork that inherits the parent's node options.
    const file = path.join(await temporaryFolder(), "child.mjs");
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], { env: environment, encoding: "utf8", timeout: 60_000 });
    expect(child.status, child.stderr).toBe(0);
    return { ...JSON.parse(child.stdout.trim().split("\n").at(-1)!) as T, stderr: child.stderr };
}

/** Decodes greedily on the prebuilt binaries in a child with this environment; reports tokens, threads and ggml's libraries. */
async function decodeIn(environment: NodeJS.ProcessEnv): Promise<Decoded> {
    const script = `
        import { getLlama } from ${JSON.stringify(bindingUrl)};
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

        const libraries = readFileSync("/proc/self/maps", "utf8").split("\\n").map((line) => line.split(/\\s+/).at(-1))
            .filter((file, index, all) => /lib(ggml|threadpool-shim)/.test(file) && all.indexOf(file) === index);
        console.log(JSON.stringify({ tokens, threads: readdirSync("/proc/self/task").length, ggmlLibraries: libraries }));
    `;
    return runModule<Omit<Decoded, "stderr">>(script, environment);
}

const withoutNativeBuilds = (): NodeJS.ProcessEnv => {
    const environment = engineEnvironment({ ...process.env, LMHOST_THREADPOOL_SHIM: "0" });
    delete environment.NODE_LLAMA_CPP_CPU_BACKEND_DIR;
    return environment;
};

describe.runIf(cCompilerFound)("the threadpool shim", () => {
    it("attaches one persistent threadpool for a whole generation and leaves greedy output unchanged", async () => {
        expect(existsSync(threadpoolShimPath), "npm install compiles it (node scripts/build-native.mjs)").toBe(true);
        const environment = engineEnvironment({ ...process.env, LMHOST_THREADPOOL_SHIM_DEBUG: "1" });
        delete environment.NODE_LLAMA_CPP_CPU_BACKEND_DIR;
        const shimmed = await decodeIn(environment);
        const plain = await decodeIn(withoutNativeBuilds());
        expect(shimmed.ggmlLibraries.some((file) => file.endsWith("libthreadpool-shim.so"))).toBe(true);
        expect(plain.ggmlLibraries.some((file) => file.endsWith("libthreadpool-shim.so"))).toBe(false);
        // One pool for 24 decodes, sized for the context's two threads.
        expect(shimmed.stderr.match(/threadpool shim: \d+ threads/g)).toEqual(["threadpool shim: 2 threads"]);
        // Its worker thread stays between decodes; without it ggml joins its threads after every graph.
        expect(shimmed.threads).toBe(plain.threads + 1);
        expect(shimmed.tokens).toEqual(plain.tokens);
    });

    it("gives a context a bigger pool when the thread splitter gives it more threads", async () => {
        // Two contexts share 2 threads: the one that starts second gets 1; once the first is gone it gets both.
        const script = `
            import { getLlama } from ${JSON.stringify(bindingUrl)};
            const llama = await getLlama({ gpu: false, build: "never", usePrebuiltBinaries: true, logLevel: "disabled", maxThreads: 2 });
            const model = await llama.loadModel({ modelPath: ${JSON.stringify(modelPath)} });
            const first = await model.createContext({ contextSize: 2048, threads: { ideal: 2, min: 1 } });
            const second = await model.createContext({ contextSize: 256, threads: { ideal: 2, min: 1 } });
            const generate = async (sequence, count, text) => {
                const tokens = [];
                for await (const token of sequence.evaluate(model.tokenize(text), { temperature: 0 })) if (tokens.push(token) >= count) break;
                return tokens;
            };
            const secondSequence = second.getSequence();
            const long = generate(first.getSequence(), 1500, "Once upon a time");
            await new Promise((resolve) => setTimeout(resolve, 50));
            await Promise.all([generate(secondSequence, 24, "Hello"), long]);
            await first.dispose();
            await new Promise((resolve) => setTimeout(resolve, 20));
            console.log(JSON.stringify({ tokens: (await generate(secondSequence, 24, " again")).length }));
            await second.dispose();
        `;
        const environment = engineEnvironment({ ...process.env, LMHOST_THREADPOOL_SHIM_DEBUG: "1" });
        delete environment.NODE_LLAMA_CPP_CPU_BACKEND_DIR;
        const { tokens, stderr } = await runModule<{ tokens: number }>(script, environment);
        expect(tokens).toBe(24);
        // The first context's pool, the second's for 1 thread, then the second's for 2 (the old one kept until it goes).
        expect(stderr.match(/threadpool shim: \d+ threads/g)).toEqual(["threadpool shim: 2 threads", "threadpool shim: 1 threads", "threadpool shim: 2 threads"]);
    });
});

describe.runIf(cpuBackendToolsFound)("the CPU backend compiled at install", () => {
    it("loads in place of the prebuilt CPU variants, on the prebuilt ggml, with the same greedy output", async () => {
        const variant = compiledCpuBackendVariant();
        expect(variant, "npm install compiles it (node scripts/build-native.mjs)").toBeDefined();
        const compiled = await decodeIn({ ...withoutNativeBuilds(), NODE_LLAMA_CPP_CPU_BACKEND_DIR: compiledCpuBackendFolder });
        const prebuilt = await decodeIn(withoutNativeBuilds());
        const cpuLibraries = (decoded: Decoded) => decoded.ggmlLibraries.filter((file) => /libggml-cpu-/.test(file));
        expect(cpuLibraries(compiled)).toEqual([path.join(compiledCpuBackendFolder, `libggml-cpu-${variant}.so`)]);
        expect(cpuLibraries(prebuilt)).toHaveLength(1);
        expect(cpuLibraries(prebuilt)[0]).not.toContain(compiledCpuBackendFolder);
        // One ggml-base in the process: the compiled variant's link resolves to the prebuilt file.
        expect(compiled.ggmlLibraries.filter((file) => /libggml-base/.test(file))).toEqual(prebuilt.ggmlLibraries.filter((file) => /libggml-base/.test(file)));
        expect(compiled.tokens).toEqual(prebuilt.tokens);
    });

    it("is offered only for the llama.cpp release it was built against, and not with LMHOST_CPU_BACKEND=0", async () => {
        const folder = await temporaryFolder();
        const { release } = JSON.parse(readFileSync(path.join(compiledCpuBackendFolder, "build.json"), "utf8")) as { release: string };
        writeFileSync(path.join(folder, "libggml-cpu-zen4.so"), "");
        writeFileSync(path.join(folder, "build.json"), JSON.stringify({ release, variant: "zen4" }));
        expect(compiledCpuBackendVariant({}, folder)).toBe("zen4");
        expect(compiledCpuBackendVariant({ LMHOST_CPU_BACKEND: "0" }, folder)).toBeUndefined();
        writeFileSync(path.join(folder, "build.json"), JSON.stringify({ release: "b0000", variant: "zen4" }));
        expect(compiledCpuBackendVariant({}, folder)).toBeUndefined();
    });

    it("leaves the prebuilt CPU variants to load when the folder offers none", async () => {
        const empty = await temporaryFolder();
        const fallback = await decodeIn({ ...withoutNativeBuilds(), NODE_LLAMA_CPP_CPU_BACKEND_DIR: empty });
        const prebuilt = await decodeIn(withoutNativeBuilds());
        expect(fallback.ggmlLibraries.filter((file) => /libggml-cpu-/.test(file))).toEqual(prebuilt.ggmlLibraries.filter((file) => /libggml-cpu-/.test(file)));
        expect(fallback.tokens).toEqual(prebuilt.tokens);
    });
});
