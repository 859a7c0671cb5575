import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        globalSetup: ["test/support/globalSetup.ts"],
        pool: "forks",
        testTimeout: 60_000,
        hookTimeout: 60_000,
        // Each integration file runs real engine processes; two cores are better spent one file at a time.
        fileParallelism: false,
        // Tests provoke load failures on purpose; their llama.cpp log lines would only be noise.
        env: { LMHOST_ENGINE_LOG_LEVEL: "disabled" }
    }
});
