/**
 * The environment of an engine process (also used by the benchmark's engine-alone runs, so both measure the
 * same setup):
 * - UV_THREADPOOL_SIZE=1: node-llama-cpp runs each decode on libuv's pool; with one pool thread every decode
 *   runs on the same OS thread, and llama.cpp's worker threads are not handed between pool threads.
 * - GOMP_SPINCOUNT (OpenMP builds): between two decodes the engine's JavaScript spends a fraction of a
 *   millisecond on the token; OpenMP's default spin is shorter, so its threads went to sleep and had to be woken
 *   for every token (about 5% of decode speed, measured). Spinning a little longer keeps them awake while a
 *   generation runs, and costs about 30 ms of one core after the last token.
 */
export function engineEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    return { ...base, UV_THREADPOOL_SIZE: "1", GOMP_SPINCOUNT: base.GOMP_SPINCOUNT ?? "3000000" };
}
