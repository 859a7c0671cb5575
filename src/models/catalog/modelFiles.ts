/**
 * The files of a catalog model, and the two things lmhost does to them on request: delete them, or link them
 * under a new name. Only files inside lmhost's own models folders are ever removed: the Hugging Face cache and
 * Ollama's store belong to their tools, and a file that resolves (through a symlinked folder) to anywhere else,
 * or into one of those stores, is refused. Paths are compared as real paths (symlinks resolved); a model that is
 * itself a symlink in a models folder is deleted as that link, never its target.
 */
import { constants } from "node:fs";
import { copyFile, link, lstat, mkdir, readdir, realpath, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { ApiError, InvalidRequest } from "../../errors.js";
import { isGgufFile, parseGgufFileName } from "./ggufFileNames.js";
import type { CatalogEntry, ModelSource } from "./ModelCatalog.js";

/** A delete the server refuses: the file is not lmhost's to remove. */
export class ModelNotDeletable extends ApiError {
    constructor(message: string) {
        super(message, 403, "invalid_request_error", "model_not_deletable", "model");
    }
}

/** A copy that would have to copy the data itself (another filesystem, no hard links, no reflinks). */
export class ModelNotCopyable extends ApiError {
    constructor(message: string) {
        super(message, 501, "server_error", "copy_not_supported", "source");
    }
}

/** Whether `child` is `parent` or inside it (both absolute and resolved). */
export function isInside(child: string, parent: string): boolean {
    const relative = path.relative(parent, child);
    return relative === "" || (relative.split(path.sep)[0] !== ".." && !path.isAbsolute(relative));
}

/** Every part of `entry`'s model: its file, or all `-0000k-of-0000n` parts of a split model, in part order. */
export async function modelParts(entry: Pick<CatalogEntry, "path">): Promise<string[]> {
    const name = parseGgufFileName(path.basename(entry.path));
    if (!name.split) return [entry.path];
    const folder = path.dirname(entry.path);
    const parts = (await readdir(folder)).filter((file) => {
        if (!isGgufFile(file)) return false;
        const other = parseGgufFileName(file);
        return other.stem === name.stem && other.split?.count === name.split!.count;
    });
    return parts.sort().map((file) => path.join(folder, file));
}

const realOrNull = (folder: string) => realpath(folder).catch(() => null);

/**
 * The real path of `file` (its folder resolved, the file itself not: a symlink stays the link) when it lies in one
 * of lmhost's models folders and in none of the other sources; else throws ModelNotDeletable.
 */
async function ownedPath(file: string, sources: readonly ModelSource[]): Promise<string> {
    const real = path.join(await realpath(path.dirname(file)), path.basename(file));
    const folders = (await Promise.all(sources.filter((source) => source.kind === "folder").map((source) => realOrNull(source.path)))).filter((folder) => folder !== null);
    const others = (await Promise.all(sources.filter((source) => source.kind !== "folder").map((source) => realOrNull(source.path)))).filter((folder) => folder !== null);
    if (!folders.some((folder) => isInside(real, folder) && real !== folder) || others.some((other) => isInside(real, other))) {
        throw new ModelNotDeletable(`${file} is not inside lmhost's models folders (${sources.filter((source) => source.kind === "folder").map((source) => source.path).join(", ")}); ` +
            "lmhost deletes nothing else.");
    }
    return real;
}

const foreignStores: Record<string, string> = {
    "Ollama": "Ollama's model store; remove it with Ollama (`ollama rm`)",
    "Hugging Face cache": "the Hugging Face cache; remove it with huggingface_hub (`hf cache delete` or `huggingface-cli delete-cache`)"
};

/**
 * The real paths of every part of `entry`'s model when all lie in lmhost's models folders (and are files or
 * symlinks); else throws ModelNotDeletable, naming what owns the model. Touches nothing.
 */
export async function deletableParts(entry: Pick<CatalogEntry, "id" | "path" | "source">, sources: readonly ModelSource[]): Promise<string[]> {
    if (entry.source !== "models folder") {
        throw new ModelNotDeletable(`${entry.id} is in ${foreignStores[entry.source] ?? entry.source} (${entry.path}): lmhost deletes only models in its own models folders.`);
    }
    const parts = await Promise.all((await modelParts(entry)).map((part) => ownedPath(part, sources)));
    for (const part of parts) {
        const details = await lstat(part);
        if (!details.isFile() && !details.isSymbolicLink()) throw new ModelNotDeletable(`${part} is not a file.`);
    }
    return parts;
}

/**
 * Removes `parts` (from deletableParts; a symlink goes as the link, its target stays), then the folders that leaves
 * empty, up to the models folder, which stays. The caller unloads the model first.
 */
export async function deleteParts(parts: readonly string[], sources: readonly ModelSource[]): Promise<void> {
    for (const part of parts) await rm(part);
    const roots = (await Promise.all(sources.filter((source) => source.kind === "folder").map((source) => realOrNull(source.path)))).filter((folder) => folder !== null);
    for (let folder = path.dirname(parts[0]!); roots.some((root) => isInside(folder, root) && folder !== root); folder = path.dirname(folder)) {
        if (!(await rmdir(folder).then(() => true, () => false))) break;
    }
}

/** Names a copy may take: one path segment, as the Hub and LM Studio's folders allow. */
const copyName = /^[A-Za-z0-9][\w.-]{0,127}$/;

export function validCopyName(name: string): boolean {
    return copyName.test(name) && !name.endsWith(".gguf");
}

/**
 * Gives `entry`'s model a second name: every part hard-linked (else reflinked) as `<folder>/<publisher>/<name>/<name>[-0000k-of-0000n].gguf`,
 * no data copied. Refuses an existing target, and a copy that would need a full copy of the data (ModelNotCopyable).
 * Returns the paths written (the first is the model's file).
 */
export async function linkModelFiles(entry: Pick<CatalogEntry, "path" | "publisher">, name: string, folder: string): Promise<string[]> {
    const publisher = copyName.test(entry.publisher) ? entry.publisher : "local";
    const target = path.join(folder, publisher, name);
    const parts = await modelParts(entry);
    await mkdir(target, { recursive: true });
    const written: string[] = [];
    try {
        for (const part of parts) {
            const split = parseGgufFileName(path.basename(part)).split;
            const file = path.join(target, `${name}${split ? `-${String(split.part).padStart(5, "0")}-of-${String(split.count).padStart(5, "0")}` : ""}.gguf`);
            const source = await realpath(part);
            await link(source, file).catch(async (error: NodeJS.ErrnoException) => {
                if (error.code === "EEXIST") throw new InvalidRequest(`${file} already exists.`, "destination", "model_exists");
                // Another filesystem, or one without hard links: a reflink shares the data too, where the filesystem can.
                await copyFile(source, file, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE).catch(() => {
                    throw new ModelNotCopyable(`Copying a model here makes a hard link (or a reflink) to its file, and ${source} cannot be linked into ${target} ` +
                        `(${error.code ?? error.message}: another filesystem?). lmhost does not copy gigabytes on a request: copy the file into the models folder yourself.`);
                });
            });
            written.push(file);
        }
    } catch (error) {
        await Promise.all(written.map((file) => rm(file, { force: true })));
        await rmdir(target).catch(() => undefined);
        throw error;
    }
    return written;
}
