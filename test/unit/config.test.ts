import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, cpuBudget, lmStudioHome, resolveConfig } from "../../src/config.js";
import { temporaryFolder } from "../support/fixtures.js";

describe("lmStudioHome", () => {
    it("follows ~/.lmstudio-home-pointer when present", async () => {
        const home = await temporaryFolder();
        await writeFile(path.join(home, ".lmstudio-home-pointer"), "/data/lmstudio\n");
        expect(lmStudioHome(home)).toBe("/data/lmstudio");
    });

    it("uses ~/.cache/lm-studio when it exists, else ~/.lmstudio", async () => {
        const home = await temporaryFolder();
        expect(lmStudioHome(home)).toBe(path.join(home, ".lmstudio"));
        await mkdir(path.join(home, ".cache", "lm-studio"), { recursive: true });
        expect(lmStudioHome(home)).toBe(path.join(home, ".cache", "lm-studio"));
    });
});

describe("resolveConfig", () => {
    it("applies the documented defaults", () => {
        const config = resolveConfig({ modelsDir: "/models" });
        expect(config).toMatchObject({ host: "127.0.0.1", port: 1234, modelsDirs: ["/models"], threads: null, contextLength: null, parallel: 4, gpu: "auto" });
    });

    it("parses numbers given as strings (flags and environment variables)", () => {
        expect(resolveConfig({ port: "8080", threads: "3", contextLength: "8192", gpu: "off" }))
            .toMatchObject({ port: 8080, threads: 3, contextLength: 8192, gpu: false });
    });

    it("rejects values that make no sense, naming the flag", () => {
        expect(() => resolveConfig({ port: "99999" })).toThrow(new ConfigError('--port must be an integer from 0 to 65535, got "99999"'));
        expect(() => resolveConfig({ threads: "0" })).toThrow(/--threads/);
        expect(() => resolveConfig({ contextLength: "lots" })).toThrow(/--context-length/);
    });

    it("opens no Ollama port unless --ollama-port names one, on the main port's host", () => {
        expect(resolveConfig({}).ollamaPort).toBeNull();
        // An empty environment variable (LMHOST_OLLAMA_PORT= in a service file) is none, as is "off".
        expect(resolveConfig({ ollamaPort: "" }).ollamaPort).toBeNull();
        expect(resolveConfig({ ollamaPort: "off" }).ollamaPort).toBeNull();
        expect(resolveConfig({ ollamaPort: "11434", host: "0.0.0.0" })).toMatchObject({ ollamaPort: 11434, host: "0.0.0.0", port: 1234 });
        expect(resolveConfig({ ollamaPort: 11434 }).ollamaPort).toBe(11434);
        // Any free port, as --port 0, for tests: both may be 0.
        expect(resolveConfig({ port: "0", ollamaPort: "0" })).toMatchObject({ port: 0, ollamaPort: 0 });
    });

    it("rejects an --ollama-port that is no port, or the main port", () => {
        expect(() => resolveConfig({ ollamaPort: "99999" })).toThrow(new ConfigError('--ollama-port must be an integer from 0 to 65535, got "99999"'));
        expect(() => resolveConfig({ ollamaPort: "ollama" })).toThrow(/--ollama-port/);
        expect(() => resolveConfig({ ollamaPort: "1234" })).toThrow(new ConfigError("--ollama-port must differ from --port, both 1234"));
        expect(() => resolveConfig({ port: "8080", ollamaPort: 8080 })).toThrow(/--ollama-port must differ from --port/);
    });

    it("keeps stored responses in memory only unless --responses-dir names a folder, resolved", () => {
        expect(resolveConfig({}).responsesDir).toBeNull();
        // An empty environment variable is no folder, not the working folder.
        expect(resolveConfig({ responsesDir: "" }).responsesDir).toBeNull();
        expect(resolveConfig({ responsesDir: "/data/responses" }).responsesDir).toBe("/data/responses");
        expect(resolveConfig({ responsesDir: "stored" }).responsesDir).toBe(path.resolve("stored"));
    });
});

describe("cpuBudget", () => {
    it("is at least one CPU and no more than the machine has", async () => {
        const { availableParallelism } = await import("node:os");
        expect(cpuBudget()).toBeGreaterThanOrEqual(1);
        expect(cpuBudget()).toBeLessThanOrEqual(availableParallelism());
    });
});
