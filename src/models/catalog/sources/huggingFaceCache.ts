/**
 * The Hugging Face hub cache: `<hub>/models--<owner>--<repo>/snapshots/<revision>/<file>.gguf`, files being
 * symlinks into `blobs/`. The revision `refs/main` names is used; without it, the newest snapshot.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import type { FoundModelFile } from "./FoundModelFile.js";
import { walkGgufFiles } from "./modelsFolder.js";

/** Where huggingface_hub keeps its cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function defaultHuggingFaceCache(environment: NodeJS.ProcessEnv = process.env, home = homedir()): string {
    if (environment.HF_HUB_CACHE) return environment.HF_HUB_CACHE;
    return path.join(environment.HF_HOME ?? path.join(home, ".cache", "huggingface"), "hub");
}

async function snapshotFolder(repoFolder: string): Promise<string | null> {
    const main = await readFile(path.join(repoFolder, "refs", "main"), "utf8").catch(() => null);
    if (main !== null) return path.join(repoFolder, "snapshots", main.trim());
    const snapshots = await readdir(path.join(repoFolder, "snapshots")).catch(() => []);
    const dated = await Promise.all(snapshots.map(async (name) => {
        const folder = path.join(repoFolder, "snapshots", name);
        return { folder, mtimeMs: (await stat(folder).catch(() => null))?.mtimeMs ?? 0 };
    }));
    return dated.sort((a, b) => b.mtimeMs - a.mtimeMs)[0]?.folder ?? null;
}

export async function findInHuggingFaceCache(hub: string): Promise<FoundModelFile[]> {
    const found: FoundModelFile[] = [];
    for (const name of (await readdir(hub).catch(() => [])).sort()) {
        const match = /^models--([^-].*?)--(.+)$/.exec(name);
        if (!match) continue;
        const [, owner, repo] = match as unknown as [string, string, string];
        const snapshot = await snapshotFolder(path.join(hub, name));
        if (snapshot === null) continue;
        for (const file of await walkGgufFiles(snapshot)) {
            found.push({
                path: file.absolute,
                relativePath: `${owner}/${repo}/${file.relative}`,
                publisher: owner,
                repo,
                fileName: path.basename(file.relative),
                size: file.size,
                mtimeMs: file.mtimeMs,
                source: "Hugging Face cache"
            });
        }
    }
    return found;
}
