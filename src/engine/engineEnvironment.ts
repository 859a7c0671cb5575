import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The threadpool shim `npm install` compiles where a C compiler is found (native/threadpool-shim.c,
 * scripts/build-native.mjs): it gives each llama.cpp context a persistent ggml threadpool, as llama-server has,
 * where node-llama-cpp's prebuilt CPU binaries would start and join their worker threads for every decode.
 */
export const threadpoolShimPath = fileURLToPath(new URL("../../native/build/libthreadpool-shim.so", import.meta.url));

/**
 * The environment of an engine process (also used by the benchmark's engine-alone runs, so both measure the
 * same setup):
 * - UV_THREADPOOL_SIZE=1: node-llama-cpp runs each decode on libuv's pool; with one pool thread every decode
 *   runs on the same OS thread, and llama.cpp's worker threads are not handed between pool threads.
 * - GOMP_SPINCOUNT (OpenMP builds): between two decodes the engine's JavaScript spends a fraction of a
 *   millisecond on the token; OpenMP's default spin is shorter, so its threads went to sleep and had to be woken
 *   for every token (about 5% of decode speed, measured). Spinning a little longer keeps them awake while a
 *   generation runs, and costs about 30 ms of one core after the last token.
 * - LD_PRELOAD of the threadpool shim, on Linux where it was built, unless LMHOST_THREADPOOL_SHIM=0.
 */
export function engineEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const environment: NodeJS.ProcessEnv = { ...base, UV_THREADPOOL_SIZE: "1", GOMP_SPINCOUNT: base.GOMP_SPINCOUNT ?? "3000000" };
    if (process.platform === "linux" && base.LMHOST_THREADPOOL_SHIM !== "0" && existsSync(threadpoolShimPath)) {
        environment.LD_PRELOAD = [threadpoolShimPath, ...(base.LD_PRELOAD ? [base.LD_PRELOAD] : [])].join(" ");
    }
    return environment;
}
