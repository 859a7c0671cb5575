/**
 * Owns every load and unload. A model is loaded into its own engine process the first time a request needs it
 * (JIT); concurrent requests for a model that is loading wait for that one load. A model whose engine process
 * dies is forgotten, so the next request loads it again.
 */
import { EngineProcess } from "../../engine/EngineProcess.js";
import type { Logger } from "../../logger.js";
import type { CatalogEntry } from "../catalog/ModelCatalog.js";

export type LoadSettings = {
    /** Context length per sequence; `null`: min(trained length, 4096). */
    contextLength: number | null;
    /** Parallel sequences per LLM. */
    parallel: number;
    threads: number;
    gpu: "auto" | false;
};

export type LoadedModel = {
    entry: CatalogEntry;
    engine: EngineProcess;
    loadedAt: Date;
};

export const defaultContextLengthCap = 4096;

export class ModelLifecycle {
    private readonly loaded = new Map<string, LoadedModel>();
    private readonly loading = new Map<string, Promise<LoadedModel>>();

    constructor(private readonly settings: LoadSettings, private readonly logger: Logger) {}

    isLoaded(entry: Pick<CatalogEntry, "path">): boolean {
        return this.loaded.has(entry.path);
    }

    loadedModels(): LoadedModel[] {
        return [...this.loaded.values()];
    }

    /** The loaded model for this entry, loading it first if needed. */
    acquire(entry: CatalogEntry): Promise<LoadedModel> {
        const ready = this.loaded.get(entry.path);
        if (ready?.engine.alive) return Promise.resolve(ready);
        const inProgress = this.loading.get(entry.path);
        if (inProgress) return inProgress;
        const load = this.load(entry).finally(() => this.loading.delete(entry.path));
        this.loading.set(entry.path, load);
        return load;
    }

    async unloadAll(): Promise<void> {
        await Promise.allSettled([...this.loading.values()]);
        const models = [...this.loaded.values()];
        this.loaded.clear();
        await Promise.all(models.map((model) => model.engine.dispose()));
    }

    private async load(entry: CatalogEntry): Promise<LoadedModel> {
        const contextLength = this.settings.contextLength ?? Math.min(entry.maxContextLength, defaultContextLengthCap);
        const started = performance.now();
        this.logger.info(`Loading ${entry.id} (${entry.path}), context ${contextLength}, ${this.settings.threads} threads`);
        const engine = await EngineProcess.start(entry.id, {
            modelPath: entry.path,
            kind: entry.type,
            contextLength,
            parallel: entry.type === "llm" ? this.settings.parallel : 1,
            threads: this.settings.threads,
            gpu: this.settings.gpu
        });
        const model: LoadedModel = { entry, engine, loadedAt: new Date() };
        this.loaded.set(entry.path, model);
        this.logger.info(`Loaded ${entry.id} in ${((performance.now() - started) / 1000).toFixed(2)} s on ${engine.model.runtime.name}`);
        void engine.exited.then((reason) => {
            if (this.loaded.get(entry.path) !== model) return;
            this.loaded.delete(entry.path);
            this.logger.error(`Model ${entry.id} is no longer loaded: ${reason}`);
        });
        return model;
    }
}
