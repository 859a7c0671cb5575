/** The host prompt cache's folder: what it indexes from state file headers, what it cleans up, what it finds. */
import { readdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Token } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { minimumCachedTokens, PromptStateCache } from "../../../src/engine/worker/PromptStateCache.js";
import { temporaryFolder } from "../../support/fixtures.js";

/** A file shaped as llama.cpp's llama_state_seq_save_file writes it: magic, version, token count, tokens, state. */
function stateFile(tokens: number[], stateBytes = 64): Buffer {
    const file = Buffer.alloc(12 + tokens.length * 4 + stateBytes);
    file.writeUInt32LE(0x67677371, 0);
    file.writeUInt32LE(2, 4);
    file.writeUInt32LE(tokens.length, 8);
    tokens.forEach((token, index) => file.writeUInt32LE(token, 12 + index * 4));
    return file;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, index) => from + index);
const quiet = () => {};

describe("PromptStateCache", () => {
    it("indexes the states of its folder from their headers and cleans up what is no state", async () => {
        const directory = await temporaryFolder("lmhost-prompt-cache-test-");
        await writeFile(path.join(directory, "a.state"), stateFile(range(0, 600)));
        await writeFile(path.join(directory, "garbage.state"), Buffer.from("not a state at all"));
        await writeFile(path.join(directory, "truncated.state"), stateFile(range(0, 600)).subarray(0, 100));
        await writeFile(path.join(directory, "old.state.partial"), Buffer.alloc(10));
        await utimes(path.join(directory, "old.state.partial"), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
        await writeFile(path.join(directory, "writing.state.partial"), Buffer.alloc(10));
        const cache = await PromptStateCache.open({ directory, maxBytes: 1 << 30 }, quiet);
        expect((await readdir(directory)).sort()).toEqual(["a.state", "writing.state.partial"]);
        const prompt = [...range(0, 500), 99_999] as Token[];
        expect(cache.find(prompt, 0, 4096)?.tokens.length).toBe(600);
        // Not worth a load: the sequence already shares nearly as much.
        expect(cache.find(prompt, 500 - minimumCachedTokens + 1, 4096)).toBeNull();
        // A state longer than the context cannot be loaded.
        expect(cache.find(prompt, 0, 600)).toBeNull();
        expect(cache.find([7, 7, 7] as Token[], 0, 4096)).toBeNull();
    });

    it("keeps the most recently used states within its budget", async () => {
        const directory = await temporaryFolder("lmhost-prompt-cache-test-");
        const file = stateFile(range(0, 300));
        for (const [name, age] of [["old", 3000], ["middle", 2000], ["new", 1000]] as const) {
            await writeFile(path.join(directory, `${name}.state`), file);
            await utimes(path.join(directory, `${name}.state`), new Date(Date.now() - age * 1000), new Date(Date.now() - age * 1000));
        }
        const cache = await PromptStateCache.open({ directory, maxBytes: file.length * 2 }, quiet);
        expect((await readdir(directory)).sort()).toEqual(["middle.state", "new.state"]);
        expect(cache.totalBytes).toBe(file.length * 2);
    });
});
