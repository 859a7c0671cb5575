/**
 * Catalog models as Ollama's API shows them (names, digests, details), and Ollama's wording for a model that is
 * not there. Shared by the model routes and the chat/generate/embed routes.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { ApiError, ModelNotFound } from "../../../errors.js";
import type { CatalogEntry } from "../../../models/catalog/ModelCatalog.js";
import { ollamaName } from "../../../models/catalog/ollamaNames.js";
import type { OllamaModelDetails } from "../../../schemas/ollama/models.js";
import type { ModelListing, ModelService } from "../../../services/ModelService.js";

/**
 * A stable SHA-256 hex digest for a model: for a blob of Ollama's store, the blob's own (its file name is
 * `sha256-<hex>`); for any other file, the SHA-256 of its path, size and modification time. That one is not a
 * hash of the file's content (reading gigabytes to answer a listing is not an option): it is stable while the file
 * stays as it is and changes when it is replaced.
 */
export function ollamaDigest(entry: Pick<CatalogEntry, "path" | "source" | "sizeBytes" | "modifiedAt">): string {
    const blob = /^sha256-([0-9a-f]{64})$/.exec(path.basename(entry.path));
    if (entry.source === "Ollama" && blob) return blob[1]!;
    return createHash("sha256").update(`${entry.path}\0${entry.sizeBytes}\0${entry.modifiedAt.getTime()}`).digest("hex");
}

export function ollamaDetails(entry: Pick<CatalogEntry, "architecture" | "quantization" | "header">): OllamaModelDetails {
    return {
        parent_model: "",
        format: "gguf",
        family: entry.architecture,
        families: [entry.architecture],
        parameter_size: entry.header.sizeLabel ?? "",
        quantization_level: entry.quantization
    };
}

/** Ollama's API knows LLMs and embedding models; lmhost's rerankers are not part of it. */
export const speaksOllamaApi = (entry: Pick<CatalogEntry, "type">) => entry.type !== "reranker";

/**
 * How Ollama's server words a missing model: `model 'x' not found` (show, delete), `model "x" not found` (copy),
 * `model "x" not found, try pulling it first` (chat, generate, embed).
 */
export type NotFoundWording = "show" | "copy" | "run";

export class OllamaModelNotFound extends ApiError {
    constructor(requested: string, wording: NotFoundWording) {
        const quoted = JSON.stringify(requested);
        super(wording === "show" ? `model '${requested}' not found` : wording === "copy" ? `model ${quoted} not found` : `model ${quoted} not found, try pulling it first`,
            404, "invalid_request_error", "model_not_found", "model");
    }
}

/**
 * The model an Ollama request names (services.models.getByOllamaName), with Ollama's 404 wording when there is
 * none (a reranker counts as none). AmbiguousModel (400) passes through.
 */
export async function findOllamaModel(models: ModelService, requested: string, wording: NotFoundWording): Promise<ModelListing> {
    const model = await models.getByOllamaName(requested).catch((error: unknown) => {
        throw error instanceof ModelNotFound ? new OllamaModelNotFound(requested, wording) : error;
    });
    if (!speaksOllamaApi(model)) throw new OllamaModelNotFound(requested, wording);
    return model;
}

/** The name Ollama's API lists `entry` under (re-exported for the routes). */
export { ollamaName };
