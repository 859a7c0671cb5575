/**
 * The on-disk half of a ResponseStore (`--responses-dir`): one JSON file per stored entry, `<id>.json`, written
 * through a temporary file and a rename so that a crash mid-write never leaves half a file under an id's name.
 * The files hold conversations, so they are made readable by this user only. Every file name comes from an id of
 * the server's own format (storedIdPattern): ids arrive in request paths, and nothing else may become a path.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../logger.js";
import { ResponseStore, storedIdPattern, type StorePersistence, type StoredResponse } from "./ResponseStore.js";

/** Bumped when what a file holds changes shape; files of another format are skipped, not misread. */
const fileFormat = 1;
const suffix = ".json";
const partialSuffix = ".partial";
/** A partial file this old has lost its writer (killed mid-write); younger ones may be another server's. */
const abandonedPartialMs = 60_000;

type FileContents = { format: number; id: string; storedAt: number; entry: StoredResponse<unknown, unknown> };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

function problemWith(value: unknown, id: string): string | null {
    if (typeof value !== "object" || value === null) return "not a JSON object";
    const contents = value as Partial<FileContents>;
    if (contents.format !== fileFormat) return `format ${String(contents.format)}, not ${fileFormat}`;
    if (contents.id !== id) return "its id does not match its name";
    if (typeof contents.storedAt !== "number" || !Number.isFinite(contents.storedAt)) return "no time stored";
    const entry = contents.entry;
    if (typeof entry !== "object" || entry === null || !("response" in entry) || !Array.isArray(entry.input) || !Array.isArray(entry.conversation)) {
        return "no stored response in it";
    }
    return null;
}

export class ResponseFiles<Response, Item> implements StorePersistence<StoredResponse<Response, Item>> {
    /**
     * The last write or removal asked for per id, so that they land in order: a DELETE right after the response
     * was stored must not be overtaken by the write it follows.
     */
    private readonly pending = new Map<string, Promise<void>>();

    private constructor(readonly folder: string, private readonly logger: Logger) {}

    /**
     * Opens the folder (creating it, private to this user) and reads back what it holds: the newest `capacity`
     * entries by the time they were stored, oldest first. Older files are removed, as the store would have
     * displaced them; files that do not parse are skipped with a warning and left for the user to look at.
     */
    static async open<Response, Item>(folder: string, logger: Logger, capacity: number):
        Promise<{ files: ResponseFiles<Response, Item>; restored: [string, StoredResponse<Response, Item>][] }> {
        await mkdir(folder, { recursive: true, mode: 0o700 });
        const found: { id: string; storedAt: number; entry: StoredResponse<Response, Item> }[] = [];
        for (const name of await readdir(folder)) {
            const file = path.join(folder, name);
            if (name.endsWith(partialSuffix)) {
                const { mtimeMs } = await stat(file).catch(() => ({ mtimeMs: Date.now() }));
                if (Date.now() - mtimeMs > abandonedPartialMs) await rm(file, { force: true }).catch(() => {});
                continue;
            }
            const id = name.slice(0, -suffix.length);
            // Anything else in the folder (the chats subfolder, a user's own files) is not ours to read.
            if (!name.endsWith(suffix) || !storedIdPattern.test(id)) continue;
            try {
                const contents: unknown = JSON.parse(await readFile(file, "utf8"));
                const problem = problemWith(contents, id);
                if (problem !== null) {
                    logger.warn(`Skipping the stored response ${file}: ${problem}`);
                    continue;
                }
                const { storedAt, entry } = contents as FileContents;
                found.push({ id, storedAt, entry: entry as StoredResponse<Response, Item> });
            } catch (error) {
                logger.warn(`Skipping the stored response ${file}: ${message(error)}`);
            }
        }
        found.sort((a, b) => a.storedAt - b.storedAt);
        const displaced = found.splice(0, Math.max(0, found.length - capacity));
        await Promise.all(displaced.map(({ id }) => rm(path.join(folder, `${id}${suffix}`), { force: true }).catch(() => {})));
        return { files: new ResponseFiles(folder, logger), restored: found.map(({ id, entry }) => [id, entry]) };
    }

    save(id: string, entry: StoredResponse<Response, Item>): void {
        const file = this.fileOf(id);
        if (file === null) return;
        let contents: string;
        try {
            // Serialized now: the caller may go on to change the objects it stored.
            contents = JSON.stringify({ format: fileFormat, id, storedAt: Date.now(), entry } satisfies FileContents);
        } catch (error) {
            this.logger.warn(`Could not save the stored response ${id} to disk (${message(error)}); it is kept in memory only`);
            return;
        }
        this.enqueue(id, async () => {
            const partial = `${file}.${randomUUID()}${partialSuffix}`;
            try {
                await writeFile(partial, contents, { mode: 0o600, flag: "wx" });
                await rename(partial, file);
            } catch (error) {
                await rm(partial, { force: true }).catch(() => {});
                this.logger.warn(`Could not save the stored response ${id} to ${this.folder} (${message(error)}); it is kept in memory only`);
            }
        });
    }

    remove(id: string): void {
        const file = this.fileOf(id);
        if (file === null) return;
        this.enqueue(id, () => rm(file, { force: true }).catch((error: unknown) => {
            this.logger.warn(`Could not remove the stored response ${file} (${message(error)})`);
        }));
    }

    async flush(): Promise<void> {
        while (this.pending.size > 0) await Promise.all(this.pending.values());
    }

    /** The file of an id of the server's own format; `null` (and nothing touched) for any other string. */
    private fileOf(id: string): string | null {
        if (storedIdPattern.test(id)) return path.join(this.folder, `${id}${suffix}`);
        this.logger.warn(`Not touching the disk for a stored response id of a foreign format: ${JSON.stringify(id.slice(0, 80))}`);
        return null;
    }

    /** Tasks never reject: each logs its own failure. */
    private enqueue(id: string, task: () => Promise<void>): void {
        const next = (this.pending.get(id) ?? Promise.resolve()).then(task);
        this.pending.set(id, next);
        void next.then(() => {
            if (this.pending.get(id) === next) this.pending.delete(id);
        });
    }
}

/**
 * A store in memory only (`folder` null), or also in `folder`, with what the folder held loaded back. Throws when
 * the folder cannot be created or listed: the user asked for persistence, and a server that silently lost it would
 * surprise them at the next restart.
 */
export async function openResponseStore<Response, Item>(folder: string | null, logger: Logger, capacity = 1000): Promise<ResponseStore<Response, Item>> {
    if (folder === null) return new ResponseStore<Response, Item>(capacity);
    const { files, restored } = await ResponseFiles.open<Response, Item>(folder, logger, capacity);
    const store = new ResponseStore<Response, Item>(capacity, files);
    store.restore(restored);
    return store;
}
