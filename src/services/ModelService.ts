/** What the model endpoints show: the catalog's models with their load state. */
import type { CatalogEntry, ModelCatalog } from "../models/catalog/ModelCatalog.js";
import type { ModelLifecycle } from "../models/lifecycle/ModelLifecycle.js";

export type ModelListing = CatalogEntry & { loaded: boolean };

export class ModelService {
    constructor(private readonly catalog: ModelCatalog, private readonly lifecycle: ModelLifecycle) {}

    async list(): Promise<ModelListing[]> {
        return (await this.catalog.list()).map((entry) => this.withState(entry));
    }

    /** Throws ModelNotFound or AmbiguousModel. */
    async get(reference: string): Promise<ModelListing> {
        return this.withState(await this.catalog.resolve(reference));
    }

    private withState(entry: CatalogEntry): ModelListing {
        return { ...entry, loaded: this.lifecycle.isLoaded(entry) };
    }
}
