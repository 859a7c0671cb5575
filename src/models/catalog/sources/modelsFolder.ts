/** LM Studio's layout: `<folder>/<publisher>/<repo>/<file>.gguf`, at any depth under a publisher. */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { isGgufFile } from "../ggufFileNames.js";
import type { FoundModelFile } from "./FoundModelFile.js";

const maxFolderDepth = 8;

export type FileVisit = { absolute: string; relative: string; size: number; mtimeMs: number };

/** Every `.gguf` file under `root` (following symlinks, skipping hidden entries), sorted by path. */
export async function walkGgufFiles(root: string, accept: (name: string) => boolean = isGgufFile): Promise<FileVisit[]> {
    const found: FileVisit[] = [];
    const visit = async (folder: string, depth: number): Promise<void> => {
        const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
        // The entries of a folder are looked at together: one at a time, 10,000 stats took seconds.
        await Promise.all(entries.map(async (entry) => {
            if (entry.name.startsWith(".")) return;
            const absolute = path.join(folder, entry.name);
            const details = entry.isSymbolicLink() || entry.isFile() ? await stat(absolute).catch(() => null) : null;
            if (entry.isDirectory() || details?.isDirectory()) {
                if (depth < maxFolderDepth) await visit(absolute, depth + 1);
            } else if (details?.isFile() && accept(entry.name)) {
                const relative = path.relative(root, absolute).split(path.sep).join("/");
                found.push({ absolute, relative, size: details.size, mtimeMs: details.mtimeMs });
            }
        }));
    };
    await visit(root, 0);
    return found.sort((a, b) => a.relative.localeCompare(b.relative));
}

export async function findInModelsFolder(root: string): Promise<FoundModelFile[]> {
    return (await walkGgufFiles(root)).map((file) => {
        const segments = file.relative.split("/");
        return {
            path: file.absolute,
            relativePath: file.relative,
            publisher: segments.length > 1 ? segments[0]! : "local",
            repo: segments.length > 2 ? segments[1]! : "",
            fileName: segments.at(-1)!,
            size: file.size,
            mtimeMs: file.mtimeMs,
            source: "models folder"
        };
    });
}
