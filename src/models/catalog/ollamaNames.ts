/**
 * Ollama's `name:tag` names for catalog models: a model from Ollama's store keeps the name Ollama gave it
 * (`llama3.2:3b`, `user/model:tag`); every other model is its catalog id with the tag `latest`. Clients of
 * Ollama's API list, show and run models by these names; requests may also name a catalog id.
 */
import { parseGgufFileName, quantizationFromStem } from "./ggufFileNames.js";
import type { CatalogEntry } from "./ModelCatalog.js";

/** The name Ollama's API lists a model under. */
export function ollamaName(entry: Pick<CatalogEntry, "id" | "source" | "candidate">): string {
    const segments = entry.candidate.relativePath.split("/");
    if (entry.source === "Ollama" && segments.length === 4 && segments[0] === "ollama") {
        const [, namespace, model, tag] = segments as [string, string, string, string];
        return `${namespace === "library" ? "" : `${namespace}/`}${model}:${tag}`;
    }
    return `${entry.id}:latest`;
}

/**
 * The catalog entry an Ollama request names: its Ollama name (a missing tag meaning `latest`), else the catalog
 * id it holds without a `:latest` tag. Null when none does (the caller then asks the catalog for its own error).
 */
export function findByOllamaName<T extends Pick<CatalogEntry, "id" | "source" | "candidate">>(requested: string, entries: readonly T[]): T | null {
    const wanted = requested.trim().toLowerCase();
    const tagged = wanted.includes(":") ? wanted : `${wanted}:latest`;
    return entries.find((entry) => ollamaName(entry).toLowerCase() === tagged)
        ?? entries.find((entry) => ollamaName(entry).toLowerCase() === `library/${tagged}`)
        ?? findByHubName(wanted, entries);
}

/**
 * `hf.co/<user>/<repo>[:<quantization>]` (or `huggingface.co/...`), the names /api/pull downloads: the one model of
 * that repository (as `<publisher>/<repo>`), of that quantization when the tag names one (`latest`: any).
 */
function findByHubName<T extends Pick<CatalogEntry, "candidate">>(wanted: string, entries: readonly T[]): T | null {
    const match = /^(?:https?:\/\/)?(?:hf\.co|huggingface\.co)\/([^/:]+)\/([^/:]+)(?::([^/:]+))?$/.exec(wanted);
    if (!match) return null;
    const [, user, repo, tag] = match as unknown as [string, string, string, string | undefined];
    // The tag names the quantization of the Hub's file name, which the header's file type normally agrees with.
    const quantizations = (entry: T) => [entry.candidate.quantization, quantizationFromStem(parseGgufFileName(entry.candidate.relativePath.split("/").at(-1)!).stem)];
    const found = entries.filter((entry) => entry.candidate.publisher.toLowerCase() === user && entry.candidate.repo.toLowerCase() === repo
        && (tag === undefined || tag === "latest" || quantizations(entry).some((quantization) => quantization?.toLowerCase() === tag)));
    return found.length === 1 ? found[0]! : null;
}

/** What the catalog is asked for when no Ollama name matches: the name without Ollama's default tag. */
export function catalogReference(requested: string): string {
    return requested.trim().replace(/:latest$/i, "");
}
