/**
 * Command-line flags and environment variables -> one validated, typed Config.
 */
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, homedir } from "node:os";
import path from "node:path";
import type { LogLevel } from "./consoleLogger.js";
import type { EngineBuild } from "./engine/protocol.js";
import { defaultHuggingFaceCache } from "./models/catalog/sources/huggingFaceCache.js";
import { defaultOllamaModels } from "./models/catalog/sources/ollamaStore.js";

export type Config = {
    host: string;
    port: number;
    /**
     * A second port, on the same host, serving Ollama's API alone (its clients default to 11434); `null`: none.
     * Ollama's API is on `port` as well.
     */
    ollamaPort: number | null;
    /** Folders scanned for `<publisher>/<repo>/<file>.gguf`; downloads go to the first. */
    modelsDirs: string[];
    /** The Hugging Face hub cache to list models from (read-only); `null`: not used. */
    huggingFaceCache: string | null;
    /** Ollama's model store to list models from (read-only); `null`: not used. */
    ollamaModels: string | null;
    /** Idle seconds before a JIT-loaded model unloads. */
    jitTtlSeconds: number;
    /** JIT-loaded models kept loaded at once. */
    maxJitModels: number;
    /** Requests that may wait per model when all its sequences are busy; more get 503. */
    maxQueue: number;
    /** CPU threads per model; `null`: the measured default for this machine's CPU budget. */
    threads: number | null;
    /** Context length per sequence; `null`: min(model's trained length, 4096). */
    contextLength: number | null;
    /** Parallel sequences per LLM. */
    parallel: number;
    gpu: "auto" | false;
    /** Which llama.cpp binary the engines use (see LoadOptions.engineBuild). */
    engineBuild: EngineBuild;
    logLevel: LogLevel;
    /** Keys a request must present; empty: no authentication. */
    apiKeys: string[];
    /** CORS: off, any origin, or these origins. */
    cors: false | true | string[];
    /** Largest request body, in bytes. */
    bodyLimit: number;
    /** Seconds running requests get to finish when the server stops, before they are ended. */
    shutdownTimeoutSeconds: number;
    /**
     * Seconds a response may wait for a client that does not read before the connection is closed (a stream's
     * generation is held meanwhile); 0: wait for ever.
     */
    stallTimeoutSeconds: number;
    /**
     * The host prompt cache: bytes of saved prompt states per model (0: off), and where; `null` folder: a private
     * temporary one, removed when the server stops.
     */
    promptCache: { maxBytes: number; folder: string | null };
    /**
     * Where stored responses (`/v1/responses`) and `/api/v1/chat` conversations are also kept, across restarts;
     * `null`: in memory only.
     */
    responsesDir: string | null;
};

export class ConfigError extends Error {}

/** LM Studio's home: the path in ~/.lmstudio-home-pointer, else ~/.cache/lm-studio if present, else ~/.lmstudio. */
export function lmStudioHome(home = homedir()): string {
    const pointer = path.join(home, ".lmstudio-home-pointer");
    if (existsSync(pointer)) {
        const target = readFileSync(pointer, "utf8").trim();
        if (target !== "") return target;
    }
    const legacy = path.join(home, ".cache", "lm-studio");
    return existsSync(legacy) ? legacy : path.join(home, ".lmstudio");
}

export const defaultModelsDir = (home = homedir()) => path.join(lmStudioHome(home), "models");

function integer(name: string, value: string | number | undefined, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    const parsed = typeof value === "number" ? value : Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
}

export type RawServeOptions = {
    host?: string;
    port?: string | number;
    /** Off unless given; an empty value (LMHOST_OLLAMA_PORT=) or "off" is off too. */
    ollamaPort?: string | number;
    modelsDir?: string | string[];
    threads?: string | number;
    contextLength?: string | number;
    parallel?: string | number;
    gpu?: string | boolean;
    logLevel?: string;
    /** A folder, or false / "off" to leave the cache out. */
    hfCache?: string | boolean;
    ollamaModels?: string | boolean;
    jitTtl?: string | number;
    maxJitModels?: string | number;
    maxQueue?: string | number;
    engineBuild?: string;
    /** Repeatable flag; an environment variable may list several, comma-separated. */
    apiKey?: string | string[];
    /** true: any origin; a comma-separated list: those origins. */
    cors?: boolean | string;
    bodyLimit?: string | number;
    shutdownTimeout?: string | number;
    stallTimeout?: string | number;
    promptCacheSize?: string | number;
    promptCacheDir?: string;
    responsesDir?: string;
};

/** "32MB", "512kb", "1048576" -> bytes. */
export function parseSize(name: string, value: string | number | undefined): number | undefined {
    if (value === undefined) return undefined;
    const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(String(value).trim());
    const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
    if (!match) throw new ConfigError(`${name} must be a size such as 32MB, 512KB or a number of bytes, got "${value}"`);
    const bytes = Math.round(Number(match[1]) * units[(match[2] ?? "b").toLowerCase()]!);
    if (bytes < 1024) throw new ConfigError(`${name} must be at least 1KB, got "${value}"`);
    return bytes;
}

function apiKeys(value: string | string[] | undefined): string[] {
    const keys = (Array.isArray(value) ? value : value === undefined ? [] : [value]).flatMap((key) => key.split(",")).map((key) => key.trim());
    if (keys.some((key) => key === "")) throw new ConfigError("--api-key must not be empty");
    return keys;
}

function corsSetting(value: boolean | string | undefined): false | true | string[] {
    if (value === undefined || value === false || value === "off" || value === "") return false;
    if (value === true || value === "*" || value === "on") return true;
    const origins = value.split(",").map((origin) => origin.trim()).filter(Boolean);
    for (const origin of origins) {
        if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new ConfigError(`--cors origins look like https://example.com, got "${origin}"`);
    }
    return origins;
}

function optionalFolder(value: string | boolean | undefined, fallback: () => string): string | null {
    if (value === false || value === "off" || value === "") return null;
    return path.resolve(typeof value === "string" ? value : fallback());
}

/** Whether an address to bind reaches only this machine. */
export function isLoopback(host: string): boolean {
    return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** `--ollama-port`: off unless given, and not the main port (0, any free port, may be both). */
function ollamaPort(value: string | number | undefined, port: number): number | null {
    if (value === undefined || String(value).trim() === "" || value === "off") return null;
    const parsed = integer("--ollama-port", typeof value === "string" ? value.trim() : value, 0, 65535)!;
    if (parsed === port && parsed !== 0) throw new ConfigError(`--ollama-port must differ from --port, both ${port}`);
    return parsed;
}

export function resolveConfig(raw: RawServeOptions): Config {
    const dirs = raw.modelsDir === undefined ? [defaultModelsDir()] : Array.isArray(raw.modelsDir) ? raw.modelsDir : [raw.modelsDir];
    const logLevel = raw.logLevel ?? "info";
    if (!["debug", "info", "warn", "error", "silent"].includes(logLevel)) throw new ConfigError(`unknown log level "${logLevel}"`);
    const gpu = raw.gpu === undefined || raw.gpu === true || raw.gpu === "auto" ? "auto"
        : raw.gpu === false || raw.gpu === "off" || raw.gpu === "false" ? false : undefined;
    if (gpu === undefined) throw new ConfigError(`--gpu must be "auto" or "off", got "${raw.gpu}"`);
    const engineBuild = raw.engineBuild ?? "auto";
    if (!["auto", "prebuilt", "openmp"].includes(engineBuild)) throw new ConfigError(`--engine-build must be auto, prebuilt or openmp, got "${engineBuild}"`);
    const port = integer("--port", raw.port, 0, 65535) ?? 1234;
    return {
        host: raw.host ?? "127.0.0.1",
        port,
        ollamaPort: ollamaPort(raw.ollamaPort, port),
        modelsDirs: dirs.map((dir) => path.resolve(dir)),
        huggingFaceCache: optionalFolder(raw.hfCache, defaultHuggingFaceCache),
        ollamaModels: optionalFolder(raw.ollamaModels, defaultOllamaModels),
        jitTtlSeconds: integer("--jit-ttl", raw.jitTtl, 1, 365 * 24 * 3600) ?? 3600,
        maxJitModels: integer("--max-jit-models", raw.maxJitModels, 1, 64) ?? 1,
        maxQueue: integer("--max-queue", raw.maxQueue, 0, 100_000) ?? 128,
        threads: integer("--threads", raw.threads, 1, 1024) ?? null,
        contextLength: integer("--context-length", raw.contextLength, 32, 10_000_000) ?? null,
        parallel: integer("--parallel", raw.parallel, 1, 64) ?? 4,
        gpu,
        engineBuild: engineBuild as EngineBuild,
        logLevel: logLevel as LogLevel,
        apiKeys: apiKeys(raw.apiKey),
        cors: corsSetting(raw.cors),
        bodyLimit: parseSize("--body-limit", raw.bodyLimit) ?? 32 * 1024 * 1024,
        shutdownTimeoutSeconds: integer("--shutdown-timeout", raw.shutdownTimeout, 0, 3600) ?? 10,
        stallTimeoutSeconds: integer("--stall-timeout", raw.stallTimeout, 0, 24 * 3600) ?? 60,
        promptCache: {
            maxBytes: String(raw.promptCacheSize).trim() === "0" ? 0 : parseSize("--prompt-cache-size", raw.promptCacheSize) ?? 4 * 1024 ** 3,
            folder: raw.promptCacheDir === undefined ? null : path.resolve(raw.promptCacheDir)
        },
        // An empty value (LMHOST_RESPONSES_DIR= in a service file) means none: resolved, it would be the working folder.
        responsesDir: raw.responsesDir === undefined || raw.responsesDir.trim() === "" ? null : path.resolve(raw.responsesDir)
    };
}

/**
 * CPUs this process may really use: the smaller of the CPUs it may run on and its cgroup quota (containers
 * often get a quota below the host's core count).
 */
export function cpuBudget(): number {
    let budget = availableParallelism();
    try {
        const [quota, period] = readFileSync("/sys/fs/cgroup/cpu.max", "utf8").trim().split(/\s+/);
        if (quota !== undefined && quota !== "max" && period !== undefined) {
            budget = Math.min(budget, Math.max(1, Math.floor(Number(quota) / Number(period))));
        }
    } catch {
        // No cgroup v2 quota to honour.
    }
    return budget;
}
