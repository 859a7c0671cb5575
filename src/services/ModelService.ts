/** What the model endpoints show: the catalog's models with their load state, and the loaded instances. */
import type { CatalogEntry, ModelCatalog, ModelSource } from "../models/catalog/ModelCatalog.js";
import { catalogReference, findByOllamaName } from "../models/catalog/ollamaNames.js";
import type { ExplicitLoad, ModelInstance, ModelLifecycle, ModelState, SpeculationRequest } from "../models/lifecycle/ModelLifecycle.js";
import { resolveSpeculation, type SpeculationFields } from "./speculationRequest.js";
import { withoutUndefined } from "./withoutUndefined.js";

export type ModelListing = CatalogEntry & { loaded: boolean; instances: ModelInstance[] };

export class ModelService {
    constructor(private readonly catalog: ModelCatalog, private readonly lifecycle: ModelLifecycle) {}

    async list(): Promise<ModelListing[]> {
        return (await this.catalog.list()).map((entry) => this.withState(entry));
    }

    /** Throws ModelNotFound or AmbiguousModel. A loaded instance's id names its model too. */
    async get(reference: string): Promise<ModelListing> {
        return this.withState(this.lifecycle.instanceNamed(reference)?.entry ?? await this.catalog.resolve(reference));
    }

    /** The model an Ollama request names (`name:tag`, a catalog id); throws ModelNotFound or AmbiguousModel. */
    async getByOllamaName(reference: string): Promise<ModelListing> {
        const entry = findByOllamaName(reference, await this.catalog.list()) ?? this.lifecycle.instanceNamed(catalogReference(reference))?.entry
            ?? await this.catalog.resolve(catalogReference(reference));
        return this.withState(entry);
    }

    /** Throws ModelNotFound or AmbiguousModel. */
    async stateOf(reference: string): Promise<{ model: string } & ModelState> {
        const entry = this.lifecycle.instanceNamed(reference)?.entry ?? await this.catalog.resolve(reference);
        return { model: entry.id, ...this.lifecycle.stateOf(entry) };
    }

    /** Loads in flight, with their progress (for the status the web app reads). */
    loadsInProgress(): Array<{ id: string; modelId: string; progress: number }> {
        return this.lifecycle.loadsInProgress();
    }

    instances(): ModelInstance[] {
        return this.lifecycle.instances();
    }

    /** Where the catalog looks for models: lmhost's models folders, then the Hugging Face cache and Ollama's store. */
    sources(): readonly ModelSource[] {
        return this.catalog.sources;
    }

    /** An explicit load: the model stays until unloaded (or its `ttlSeconds` idle), never evicted by JIT loads. */
    async load(reference: string, options: Omit<ExplicitLoad, "entry" | keyof SpeculationRequest> & SpeculationFields): Promise<ModelInstance> {
        const { draftModel, draftMaxTokens, draftMinConfidence, promptLookup, ...load } = options;
        const entry = await this.catalog.resolve(reference);
        const speculation = await resolveSpeculation(this.catalog, withoutUndefined({ draftModel, draftMaxTokens, draftMinConfidence, promptLookup }));
        const otherModelIds = (await this.catalog.list()).map((other) => other.id).filter((id) => id !== entry.id);
        return this.lifecycle.loadExplicitly({ entry, ...load, ...speculation }, otherModelIds);
    }

    /** Throws ModelNotLoaded for an unknown instance id. */
    unload(instanceId: string): Promise<ModelInstance> {
        return this.lifecycle.unload(instanceId);
    }

    /** Cancels the loads in flight and unloads every instance. */
    unloadAll(): Promise<{ unloaded: string[]; cancelledLoads: string[] }> {
        return this.lifecycle.unloadAll();
    }

    private withState(entry: CatalogEntry): ModelListing {
        const instances = this.lifecycle.instances().filter((instance) => instance.entry.path === entry.path);
        return { ...entry, loaded: instances.length > 0, instances };
    }
}
