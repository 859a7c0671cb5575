/**
 * Builds llama.cpp from the source node-llama-cpp ships (no download), CPU-only with OpenMP, so engine
 * processes keep their worker threads between decodes (README, "Threads"). About 5 minutes on 2 cores.
 * lmhost uses the build when it exists and no GPU is in use (--engine-build).
 *
 *   npm run build:engine
 */
import { spawnSync } from "node:child_process";

const result = spawnSync("npx", ["--no", "node-llama-cpp", "source", "download", "--gpu", "false"], {
    stdio: "inherit",
    env: { ...process.env, NODE_LLAMA_CPP_CMAKE_OPTION_GGML_OPENMP: "ON" },
    shell: process.platform === "win32"
});
process.exit(result.status ?? 1);
