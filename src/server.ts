/**
 * Composes the server from a Config: catalog, lifecycle, services and the HTTP app, then listens.
 */
import { constants } from "node:fs";
import { access, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { cpuBudget, type Config } from "./config.js";
import { ConsoleLogger } from "./consoleLogger.js";
import { buildApp } from "./http/app.js";
import type { ResponseItem } from "./http/routes/openai/responses.js";
import type { ResponseObject } from "./schemas/openai/responses.js";
import type { ChatTurn } from "./services/chatPrompt.js";
import type { Logger } from "./logger.js";
import { ModelCatalog, type ModelSource } from "./models/catalog/ModelCatalog.js";
import { DownloadJobs } from "./models/download/DownloadJobs.js";
import { HubDownloader } from "./models/download/HubDownloader.js";
import { ModelLifecycle } from "./models/lifecycle/ModelLifecycle.js";
import { InferenceService } from "./services/InferenceService.js";
import { openResponseStore } from "./services/ResponseFiles.js";
import { ModelService } from "./services/ModelService.js";
import { ServerMetrics } from "./metrics/ServerMetrics.js";

export type RunningServer = {
    app: FastifyInstance;
    url: string;
    /** Where the Ollama listener (`--ollama-port`) serves Ollama's API; `null`: none (Ollama's API is at `url` too). */
    ollamaUrl: string | null;
    catalog: ModelCatalog;
    lifecycle: ModelLifecycle;
    threads: number;
    /**
     * Stops accepting requests, lets running ones finish for up to `timeoutSeconds` (default: the configured
     * shutdown timeout), then ends the rest (stop reason userStopped), and unloads every model.
     */
    close(timeoutSeconds?: number): Promise<void>;
};

export class StartupError extends Error {}

/** The Ollama listener could not listen: a line naming its flag, as serve.ts says it of the main port. */
function ollamaPortFailure(error: NodeJS.ErrnoException, host: string, port: number): StartupError {
    if (error.code === "EADDRINUSE") return new StartupError(`port ${port} on ${host} (--ollama-port) is already in use; is Ollama itself running?`);
    if (error.code === "EACCES") return new StartupError(`not allowed to listen on ${host}:${port} (--ollama-port)`);
    return new StartupError(`cannot listen on ${host}:${port} (--ollama-port): ${error.message}`);
}

/**
 * A models folder that exists must be a readable folder; one that does not exist yet is only empty (downloads go
 * there), which is said once, since it is also what a mistyped --models-dir looks like.
 */
async function checkModelFolders(config: Config, logger: Logger): Promise<void> {
    for (const folder of config.modelsDirs) {
        const info = await stat(folder).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? null : error));
        if (info === null) {
            logger.warn(`The models folder ${folder} does not exist (yet): it lists no models until GGUF files are put there.`);
            continue;
        }
        if (info instanceof Error) throw new StartupError(`cannot read the models folder ${folder}: ${info.message}`);
        if (!info.isDirectory()) throw new StartupError(`the models folder ${folder} is not a folder`);
        await access(folder, constants.R_OK | constants.X_OK).catch(() => {
            throw new StartupError(`cannot read the models folder ${folder}: permission denied`);
        });
    }
}

/**
 * Threads per model when --threads is not given: every CPU of this process's budget. Measured on a 2-vCPU
 * machine (README, "Threads"): with each engine in its own process and that process's libuv pool at one
 * thread, decoding with 2 threads beats 1 thread; node-llama-cpp's own default (at least 4) oversubscribes.
 */
export function defaultThreads(): number {
    return cpuBudget();
}

export function modelSources(config: Config): ModelSource[] {
    return [
        ...config.modelsDirs.map((dir): ModelSource => ({ kind: "folder", path: dir })),
        ...(config.huggingFaceCache ? [{ kind: "huggingface" as const, path: config.huggingFaceCache }] : []),
        ...(config.ollamaModels ? [{ kind: "ollama" as const, path: config.ollamaModels }] : [])
    ];
}

/** The stores `previous_response_id` continues from; with a folder, LM Studio's chats in its `chats` subfolder. */
async function openStoredResponses(folder: string | null, logger: Logger) {
    try {
        return {
            storedResponses: await openResponseStore<ResponseObject, ResponseItem>(folder, logger),
            storedChats: await openResponseStore<null, ChatTurn>(folder === null ? null : path.join(folder, "chats"), logger)
        };
    } catch (error) {
        throw new StartupError(`cannot use the responses folder ${folder}: ${error instanceof Error ? error.message : String(error)}`);
    }
}

export async function startServer(config: Config, logger: Logger = new ConsoleLogger(config.logLevel)): Promise<RunningServer> {
    await checkModelFolders(config, logger);
    // Before anything that would need undoing: a folder that cannot be used fails the start.
    const storedResponses = await openStoredResponses(config.responsesDir, logger);
    const threads = config.threads ?? defaultThreads();
    const catalog = new ModelCatalog(modelSources(config), logger);
    const metrics = new ServerMetrics();
    // Saved prompt states are conversations: without a folder of the user's choosing they stay in a private one
    // that goes with the server.
    const promptCacheRoot = config.promptCache.maxBytes === 0 ? null
        : config.promptCache.folder ?? await mkdtemp(path.join(tmpdir(), "lmhost-prompt-cache-"));
    const lifecycle = new ModelLifecycle({
        contextLength: config.contextLength, parallel: config.parallel, threads, gpu: config.gpu, engineBuild: config.engineBuild,
        jitTtlSeconds: config.jitTtlSeconds, maxJitModels: config.maxJitModels, maxQueue: config.maxQueue,
        promptCache: promptCacheRoot === null ? null : { root: promptCacheRoot, maxBytes: config.promptCache.maxBytes }
    }, logger, { onLoaded: (instance) => metrics.countLoad(instance.entry.id, instance.loadSeconds) });
    metrics.watchInstances(() => lifecycle.instances());
    const services = {
        models: new ModelService(catalog, lifecycle),
        inference: new InferenceService(catalog, lifecycle, metrics),
        downloads: new DownloadJobs(new HubDownloader(), config.modelsDirs[0]!, logger),
        metrics,
        ...storedResponses
    };
    const app = await buildApp({
        services,
        apiKeys: config.apiKeys,
        cors: config.cors,
        bodyLimit: config.bodyLimit,
        stallTimeoutSeconds: config.stallTimeoutSeconds,
        loggerInstance: logger instanceof ConsoleLogger ? logger : undefined,
        logRequests: config.logLevel === "debug"
    });
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    let ollamaUrl: string | null = null;
    try {
        await app.listen({ host: config.host, port: config.port, listenTextResolver: (address) => `lmhost listening on ${address}` });
        if (config.ollamaPort !== null) {
            const ollamaPort = await app.ollamaListener.listen(config.host, config.ollamaPort)
                .catch((error: NodeJS.ErrnoException) => { throw ollamaPortFailure(error, config.host, config.ollamaPort!); });
            ollamaUrl = `http://${host}:${ollamaPort}`;
        }
    } catch (error) {
        await app.close();
        catalog.close();
        if (promptCacheRoot !== null && config.promptCache.folder === null) await rm(promptCacheRoot, { recursive: true, force: true });
        throw error;
    }
    if (ollamaUrl !== null) logger.info(`Ollama's API listening on ${ollamaUrl} (Ollama's routes only; they are on the main port too)`);
    const address = app.server.address();
    const port = typeof address === "object" && address !== null ? address.port : config.port;
    return {
        app, catalog, lifecycle, threads, ollamaUrl,
        url: `http://${host}:${port}`,
        async close(timeoutSeconds = config.shutdownTimeoutSeconds) {
            catalog.close();
            const timer = setTimeout(() => {
                logger.warn(`Ending the requests still running after ${timeoutSeconds} s`);
                lifecycle.stopAllGenerations();
            }, timeoutSeconds * 1000);
            // Both listeners: the Ollama listener closes with the app (ollamaListener.ts).
            await app.close();
            clearTimeout(timer);
            // The last responses' files, written behind their requests, land before the next server reads the folder.
            await Promise.all([services.storedResponses.flush(), services.storedChats.flush()]);
            await lifecycle.unloadAll("shutting down", config.promptCache.folder !== null);
            if (promptCacheRoot !== null && config.promptCache.folder === null) await rm(promptCacheRoot, { recursive: true, force: true });
        }
    };
}
