/** `lmhost serve`: start the API server in the foreground. */
import { Command, Option } from "commander";
import { ConfigError, defaultModelsDir, isLoopback, resolveConfig, type RawServeOptions } from "../config.js";
import { ConsoleLogger } from "../consoleLogger.js";
import { defaultHuggingFaceCache } from "../models/catalog/sources/huggingFaceCache.js";
import { defaultOllamaModels } from "../models/catalog/sources/ollamaStore.js";

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function serveCommand(): Command {
    return new Command("serve")
        .description("Start the API server: LM Studio's REST API on /api/v0 and /api/v1, the OpenAI API on /v1")
        .addOption(new Option("--port <port>", "port to listen on").env("LMHOST_PORT").default("1234"))
        .addOption(new Option("--host <host>", "address to bind; anything but loopback exposes the server to the network")
            .env("LMHOST_HOST").default("127.0.0.1"))
        .addOption(new Option("--ollama-port <port>", "also serve Ollama's API alone on this port of the same host, for Ollama's clients (they expect 11434); default: off")
            .env("LMHOST_OLLAMA_PORT"))
        .addOption(new Option("--models-dir <dir>",
            `folder holding <publisher>/<repo>/<file>.gguf; repeatable (default: LM Studio's models folder, here ${defaultModelsDir()})`)
            .env("LMHOST_MODELS_DIR").argParser(collect))
        .addOption(new Option("--hf-cache <dir>", `also list GGUF files in this Hugging Face hub cache (default: ${defaultHuggingFaceCache()})`)
            .env("LMHOST_HF_CACHE"))
        .addOption(new Option("--no-hf-cache", "do not list the Hugging Face cache"))
        .addOption(new Option("--ollama-models <dir>", `also list models in this Ollama store (default: ${defaultOllamaModels()})`)
            .env("LMHOST_OLLAMA_MODELS"))
        .addOption(new Option("--no-ollama-models", "do not list Ollama's models"))
        .addOption(new Option("--threads <n>", "CPU threads per model (default: this machine's CPU budget)").env("LMHOST_THREADS"))
        .addOption(new Option("--context-length <n>", "context length per sequence (default: min(model's trained length, 4096))")
            .env("LMHOST_CONTEXT_LENGTH"))
        .addOption(new Option("--parallel <n>", "requests one LLM serves at once").env("LMHOST_PARALLEL").default("4"))
        .addOption(new Option("--max-queue <n>", "requests that may wait per model when all its parallel slots are busy; more get 503")
            .env("LMHOST_MAX_QUEUE").default("128"))
        .addOption(new Option("--jit-ttl <seconds>", "idle seconds before a model loaded on demand unloads").env("LMHOST_JIT_TTL").default("3600"))
        .addOption(new Option("--max-jit-models <n>", "models loaded on demand kept at once; loading another unloads the least recently used")
            .env("LMHOST_MAX_JIT_MODELS").default("1"))
        .addOption(new Option("--gpu <mode>", "auto: offload to a GPU when one works; off: CPU only").env("LMHOST_GPU")
            .choices(["auto", "off"]).default("auto"))
        .addOption(new Option("--engine-build <build>", "llama.cpp binary: prebuilt (with the CPU backend npm install compiles, where it could), openmp (local build, npm run build:engine), or auto (prebuilt when its CPU backend was compiled, else openmp when built and no GPU is used)")
            .env("LMHOST_ENGINE_BUILD").choices(["auto", "prebuilt", "openmp"]).default("auto"))
        .addOption(new Option("--api-key <key>", "require this key (Authorization: Bearer <key> or x-api-key); repeatable")
            .env("LMHOST_API_KEY").argParser(collect))
        .addOption(new Option("--cors [origins]", "allow browsers on other origins: any, or a comma-separated list of origins").env("LMHOST_CORS"))
        .addOption(new Option("--body-limit <size>", "largest request body (e.g. 32MB)").env("LMHOST_BODY_LIMIT").default("32MB"))
        .addOption(new Option("--shutdown-timeout <seconds>", "on SIGINT/SIGTERM, how long running requests may finish before they are ended")
            .env("LMHOST_SHUTDOWN_TIMEOUT").default("10"))
        .addOption(new Option("--stall-timeout <seconds>", "how long a response waits for a client that does not read (its generation held) before the connection is closed; 0: for ever")
            .env("LMHOST_STALL_TIMEOUT").default("60"))
        .addOption(new Option("--prompt-cache-size <size>", "saved prompt states per model, for conversations pushed out of every sequence (e.g. 4GB; 0: off)")
            .env("LMHOST_PROMPT_CACHE_SIZE").default("4GB"))
        .addOption(new Option("--prompt-cache-dir <folder>", "keep saved prompt states here, across restarts (default: a private temporary folder, removed at exit)")
            .env("LMHOST_PROMPT_CACHE_DIR"))
        .addOption(new Option("--responses-dir <folder>", "also keep stored responses (/v1/responses) and /api/v1/chat conversations here, across restarts (default: in memory only)")
            .env("LMHOST_RESPONSES_DIR"))
        .addOption(new Option("--log-level <level>", "debug logs every request").env("LMHOST_LOG_LEVEL")
            .choices(["debug", "info", "warn", "error", "silent"]).default("info"))
        .action(async (options: RawServeOptions) => {
            let config;
            try {
                config = resolveConfig(options);
            } catch (error) {
                if (error instanceof ConfigError) fail(error.message);
                throw error;
            }
            const logger = new ConsoleLogger(config.logLevel);
            // Loaded here, not at the top: the other commands start faster without the server's modules.
            const { startServer } = await import("../server.js");
            const server = await startServer(config, logger).catch((error: NodeJS.ErrnoException) => {
                if (error.code === "EADDRINUSE") fail(`port ${config.port} on ${config.host} is already in use`);
                if (error.code === "EADDRNOTAVAIL") fail(`cannot bind to ${config.host}: no such local address`);
                if (error.code === "EACCES") fail(`not allowed to listen on ${config.host}:${config.port}`);
                fail(error.message);
            });
            if (!isLoopback(config.host) && config.apiKeys.length === 0) {
                logger.warn(`Listening on ${config.host}, beyond this machine, without an API key: anyone who can reach the port can use it. Set --api-key.`);
            }
            // Before the first scan, which can take a while: a signal during it is a graceful stop too.
            let stopping = false;
            const shutdown = async (signal: string) => {
                if (stopping) {
                    logger.warn(`${signal} again: exiting now`);
                    process.exit(1);
                }
                stopping = true;
                logger.info(`${signal}: no new requests; letting running ones finish (up to ${config.shutdownTimeoutSeconds} s)`);
                await server.close();
                logger.info("Stopped");
                process.exit(0);
            };
            process.on("SIGINT", () => void shutdown("SIGINT"));
            process.on("SIGTERM", () => void shutdown("SIGTERM"));
            const models = await server.catalog.list().catch((error: unknown) => {
                if (stopping) return null;
                throw error;
            });
            if (models === null) return;
            const where = server.catalog.sources.map((source) => source.path).join(", ");
            logger.info(models.length > 0
                ? `Found ${models.length} model${models.length === 1 ? "" : "s"} in ${where}`
                : `No models found in ${where}; put GGUF files at <folder>/<publisher>/<repo>/<file>.gguf`);
            logger.info(`Engine threads per model: ${server.threads}${config.threads === null ? " (this machine's CPU budget; --threads overrides)" : ""}`);
        });
}

function fail(message: string): never {
    process.stderr.write(`lmhost: ${message}\n`);
    process.exit(1);
}
