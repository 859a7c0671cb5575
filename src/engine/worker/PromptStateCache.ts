/**
 * Prompt states beyond the sequences (llama-server's --cache-ram and slot save/restore): when a sequence is about
 * to be taken over by another conversation, its evaluated state (KV cache and tokens) is saved to a file; when a
 * prompt comes back that one of those states starts, the state is loaded into the sequence instead of evaluating
 * the prompt again. Files live in one folder per model build (the server names it), so they outlive an unload;
 * the folder is bounded by size, least recently used first out.
 *
 * A state file (llama.cpp's llama_state_seq_save_file) starts with its tokens: magic "ggsq", version, token
 * count, the tokens as 32-bit ids; the index of a folder is read from those headers.
 */
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink, utimes } from "node:fs/promises";
import path from "node:path";
import type { LlamaContextSequence, Token } from "node-llama-cpp";

/** Saved states shorter than this are not worth a file: evaluating them again is about as fast as loading them. */
export const minimumCachedTokens = 256;
const stateMagic = 0x67677371;
const suffix = ".state";
const partialSuffix = ".partial";

type Entry = { file: string; tokens: Token[]; bytes: number; usedAt: number };

export type PromptCacheSettings = { directory: string; maxBytes: number };

function sharedPrefix(a: readonly Token[], b: readonly Token[]): number {
    const length = Math.min(a.length, b.length);
    let index = 0;
    while (index < length && a[index] === b[index]) index++;
    return index;
}

/** The tokens a state file starts with; null when the file is no state file. */
async function readStateTokens(file: string): Promise<Token[] | null> {
    const handle = await open(file, constants.O_RDONLY);
    try {
        const head = Buffer.alloc(12);
        const { bytesRead } = await handle.read(head, 0, 12, 0);
        if (bytesRead < 12 || head.readUInt32LE(0) !== stateMagic) return null;
        const count = head.readUInt32LE(8);
        const { size } = await handle.stat();
        if (12 + count * 4 > size) return null;
        const body = Buffer.alloc(count * 4);
        await handle.read(body, 0, body.length, 12);
        return Array.from({ length: count }, (_, index) => body.readUInt32LE(index * 4) as Token);
    } finally {
        await handle.close();
    }
}

export class PromptStateCache {
    private constructor(private readonly settings: PromptCacheSettings, private entries: Entry[], private readonly log: (line: string) => void) {}

    /** Opens (creating it, private to this user) the folder and indexes the states in it. */
    static async open(settings: PromptCacheSettings, log: (line: string) => void): Promise<PromptStateCache> {
        await mkdir(settings.directory, { recursive: true, mode: 0o700 });
        const entries: Entry[] = [];
        for (const name of await readdir(settings.directory)) {
            const file = path.join(settings.directory, name);
            // A state whose writer died (killed during a slow save): no other writer takes a minute.
            if (name.endsWith(partialSuffix)) {
                const { mtimeMs } = await stat(file).catch(() => ({ mtimeMs: Date.now() }));
                if (Date.now() - mtimeMs > 60_000) await unlink(file).catch(() => {});
                continue;
            }
            if (!name.endsWith(suffix)) continue;
            try {
                const tokens = await readStateTokens(file);
                const { size, mtimeMs } = await stat(file);
                if (tokens === null) await unlink(file);
                else entries.push({ file, tokens, bytes: size, usedAt: mtimeMs });
            } catch {
                // Another process's file that went away, or one being written: not ours to index.
            }
        }
        const cache = new PromptStateCache(settings, entries, log);
        await cache.evictBeyond(settings.maxBytes);
        return cache;
    }

    get totalBytes(): number {
        return this.entries.reduce((total, entry) => total + entry.bytes, 0);
    }

    /**
     * The saved state sharing the longest prefix with `prompt`, when that prefix is at least `better` tokens longer
     * than `alreadyShared` (what the sequence holds) and the state fits a sequence of `contextLength` tokens.
     */
    find(prompt: readonly Token[], alreadyShared: number, contextLength: number): Entry | null {
        let best: Entry | null = null;
        let bestShared = alreadyShared + minimumCachedTokens - 1;
        for (const entry of this.entries) {
            if (entry.tokens.length >= contextLength) continue;
            const shared = sharedPrefix(entry.tokens, prompt);
            if (shared > bestShared) {
                best = entry;
                bestShared = shared;
            }
        }
        return best;
    }

    /**
     * Saves the sequence's state before `prompt` takes it over, when the sequence holds enough that the prompt does
     * not keep (at least minimumCachedTokens beyond their shared prefix) and no saved state already holds it.
     */
    async saveDisplaced(sequence: LlamaContextSequence, prompt: readonly Token[]): Promise<void> {
        const tokens = sequence.contextTokens;
        if (tokens.length < minimumCachedTokens || tokens.length - sharedPrefix(tokens, prompt) < minimumCachedTokens) return;
        if (this.entries.some((entry) => entry.tokens.length >= tokens.length && sharedPrefix(entry.tokens, tokens) === tokens.length)) return;
        const file = path.join(this.settings.directory, `${randomUUID()}${suffix}`);
        const partial = `${file}${partialSuffix}`;
        try {
            const { fileSize } = await sequence.saveStateToFile(partial);
            await rename(partial, file);
            // A state this one extends is of no more use.
            const superseded = this.entries.filter((entry) => sharedPrefix(entry.tokens, tokens) === entry.tokens.length);
            this.entries = this.entries.filter((entry) => !superseded.includes(entry));
            await Promise.all(superseded.map((entry) => unlink(entry.file).catch(() => {})));
            this.entries.push({ file, tokens, bytes: fileSize, usedAt: Date.now() });
            await this.evictBeyond(this.settings.maxBytes);
        } catch (error) {
            await unlink(partial).catch(() => {});
            this.log(`prompt cache: could not save a state of ${tokens.length} tokens: ${error instanceof Error ? error.message : String(error)}`);
        }
    }

    /** Loads the state into the sequence; false (the sequence left empty) when the file is gone or unreadable. */
    async restore(sequence: LlamaContextSequence, entry: Entry): Promise<boolean> {
        // Emptied first: node-llama-cpp forgets the sequence's tokens before loading, so a load that fails (another
        // instance of the model evicted the file) would otherwise leave their KV cells behind, unaccounted for.
        await sequence.clearHistory();
        try {
            await sequence.loadStateFromFile(entry.file, { acceptRisk: true });
            entry.usedAt = Date.now();
            await utimes(entry.file, new Date(), new Date()).catch(() => {});
            return true;
        } catch (error) {
            this.entries = this.entries.filter((candidate) => candidate !== entry);
            await unlink(entry.file).catch(() => {});
            this.log(`prompt cache: could not load a saved state: ${error instanceof Error ? error.message : String(error)}`);
            return false;
        }
    }

    private async evictBeyond(maxBytes: number): Promise<void> {
        this.entries.sort((a, b) => b.usedAt - a.usedAt);
        let total = 0;
        const kept: Entry[] = [];
        const evicted: Entry[] = [];
        for (const entry of this.entries) {
            total += entry.bytes;
            (total <= maxBytes ? kept : evicted).push(entry);
        }
        this.entries = kept;
        await Promise.all(evicted.map((entry) => unlink(entry.file).catch(() => {})));
    }
}
