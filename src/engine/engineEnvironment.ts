import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The threadpool shim `npm install` compiles where a C compiler is found (native/threadpool-shim.c,
 * scripts/build-native.mjs): it gives each llama.cpp context a persistent ggml threadpool, as llama-server has,
 * where node-llama-cpp's prebuilt CPU binaries would start and join their worker threads for every decode.
 */
export const threadpoolShimPath = fileURLToPath(new URL("../../native/build/libthreadpool-shim.so", import.meta.url));

/**
 * The CPU backend `npm install` compiles where git, cmake and a C++ compiler are found (scripts/build-native.mjs):
 * the variant of ggml's CPU library the prebuilt binaries load on this machine, compiled here from the same
 * llama.cpp release, which evaluates F16 prompts about twice as fast as the prebuilt one.
 */
export const compiledCpuBackendFolder = fileURLToPath(new URL("../../native/build/ggml-cpu/", import.meta.url));

/** The llama.cpp release of node-llama-cpp's prebuilt binaries, as installed now. */
function prebuiltRelease(): string | undefined {
    try {
        const entry = createRequire(import.meta.url).resolve("node-llama-cpp");
        const file = path.join(path.dirname(entry), "..", "llama", "binariesGithubRelease.json");
        return (JSON.parse(readFileSync(file, "utf8")) as { release?: string }).release;
    } catch {
        return undefined;
    }
}

/**
 * The compiled CPU backend's variant (zen4, haswell, ...), where one was built for the llama.cpp release installed
 * now (a library built against another release's ggml must not load) and LMHOST_CPU_BACKEND is not 0.
 */
export function compiledCpuBackendVariant(environment: NodeJS.ProcessEnv = process.env, folder = compiledCpuBackendFolder): string | undefined {
    if (environment.LMHOST_CPU_BACKEND === "0") return undefined;
    try {
        const { variant, release } = JSON.parse(readFileSync(path.join(folder, "build.json"), "utf8")) as { variant?: unknown; release?: unknown };
        if (typeof variant !== "string" || release !== prebuiltRelease()) return undefined;
        return existsSync(path.join(folder, `libggml-cpu-${variant}.so`)) ? variant : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Offers the compiled CPU backend to the next prebuilt, CPU-only getLlama of this process (a node-llama-cpp
 * patch, patches/: NODE_LLAMA_CPP_CPU_BACKEND_DIR is loaded before the prebuilt CPU variants, which load
 * instead when it does not). Local builds and GPU builds keep their own.
 */
export function offerCompiledCpuBackend(): void {
    if (compiledCpuBackendVariant() !== undefined) process.env.NODE_LLAMA_CPP_CPU_BACKEND_DIR = compiledCpuBackendFolder;
}

/**
 * The environment of an engine process (also used by the benchmark's engine-alone runs, so both measure the
 * same setup):
 * - UV_THREADPOOL_SIZE=1: node-llama-cpp runs each decode on libuv's pool; with one pool thread every decode
 *   runs on the same OS thread, and llama.cpp's worker threads are not handed between pool threads.
 * - GOMP_SPINCOUNT (OpenMP builds): between two decodes the engine's JavaScript spends a fraction of a
 *   millisecond on the token; OpenMP's default spin is shorter, so its threads went to sleep and had to be woken
 *   for every token (about 5% of decode speed, measured). Spinning a little longer keeps them awake while a
 *   generation runs, and costs about 30 ms of one core after the last token.
 * - LD_PRELOAD of the threadpool shim, on Linux where it was built, unless LMHOST_THREADPOOL_SHIM=0 (or its path
 *   holds a space or a colon: the dynamic loader splits LD_PRELOAD on both, with no escape).
 */
export function engineEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const environment: NodeJS.ProcessEnv = { ...base, UV_THREADPOOL_SIZE: "1", GOMP_SPINCOUNT: base.GOMP_SPINCOUNT ?? "3000000" };
    if (process.platform === "linux" && base.LMHOST_THREADPOOL_SHIM !== "0" && !/[ :]/.test(threadpoolShimPath) && existsSync(threadpoolShimPath)) {
        environment.LD_PRELOAD = [threadpoolShimPath, ...(base.LD_PRELOAD ? [base.LD_PRELOAD] : [])].join(" ");
    }
    return environment;
}
