/**
 * Ollama's model store: `manifests/<registry>/<namespace>/<model>/<tag>` JSON files whose layer with media type
 * `application/vnd.ollama.image.model` names a GGUF blob, `blobs/sha256-<hex>`.
 */
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import type { FoundModelFile } from "./FoundModelFile.js";
import { walkGgufFiles } from "./modelsFolder.js";

/** $OLLAMA_MODELS, else ~/.ollama/models. */
export function defaultOllamaModels(environment: NodeJS.ProcessEnv = process.env, home = homedir()): string {
    return environment.OLLAMA_MODELS ?? path.join(home, ".ollama", "models");
}

type Manifest = { layers?: Array<{ mediaType?: string; digest?: string }> };

export async function findInOllamaStore(root: string): Promise<FoundModelFile[]> {
    const manifests = await walkGgufFiles(path.join(root, "manifests"), () => true);
    const found: FoundModelFile[] = [];
    for (const manifest of manifests) {
        const segments = manifest.relative.split("/");
        if (segments.length !== 4) continue;
        const [, namespace, model, tag] = segments as [string, string, string, string];
        const parsed = await readFile(manifest.absolute, "utf8").then((text) => JSON.parse(text) as Manifest).catch(() => null);
        const digest = parsed?.layers?.find((layer) => layer.mediaType === "application/vnd.ollama.image.model")?.digest;
        if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) continue;
        const blob = path.join(root, "blobs", digest.replace(":", "-"));
        const details = await stat(blob).catch(() => null);
        if (!details?.isFile()) continue;
        found.push({
            path: blob,
            relativePath: `ollama/${namespace}/${model}/${tag}`,
            publisher: namespace === "library" ? "ollama" : namespace,
            repo: model,
            fileName: `${tag === "latest" ? model : `${model}-${tag}`}.gguf`,
            size: details.size,
            mtimeMs: details.mtimeMs,
            source: "Ollama"
        });
    }
    return found;
}
