/**
 * The host prompt cache on the real engine: a conversation pushed out of every sequence by another one comes back
 * from its saved state (not evaluated again), answers the same, and survives its model's unload; off, or over
 * its budget, it is evaluated again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { readdir, unlink } from "node:fs/promises";
import path from "node:path";
import { standardModelsFolder, temporaryFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

/** A user message of several hundred tokens, different for each seed. */
function longMessage(seed: number): string {
    const words = ["weather", "river", "mountain", "garden", "window", "letter", "morning", "silver", "orange", "market", "station", "pocket"];
    return Array.from({ length: 260 }, (_, index) => words[(index * (seed + 3) + seed * 7) % words.length]).join(" ");
}

/** The saved state files under a prompt cache folder (one subfolder per model build). */
async function stateFiles(folder: string): Promise<string[]> {
    const files: string[] = [];
    for (const model of await readdir(folder)) {
        for (const name of await readdir(path.join(folder, model))) if (name.endsWith(".state")) files.push(path.join(folder, model, name));
    }
    return files;
}

const chat = async (server: RunningServer, content: string, extra: Record<string, unknown> = {}) => {
    const response = await postJson(`${server.url}/v1/chat/completions`, {
        model: "tiny-chat", messages: [{ role: "user", content }], max_tokens: 12, temperature: 0, ...extra
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const body = await response.json();
    return { text: body.choices[0].message.content as string, prompt: body.usage.prompt_tokens as number, cached: body.usage.prompt_tokens_details.cached_tokens as number };
};

describe("host prompt cache", () => {
    let server: RunningServer;
    beforeAll(async () => {
        server = await startTestServer({ modelsDir: await standardModelsFolder(), parallel: 1 });
    });
    afterAll(() => server.close());

    it("brings back a conversation another one pushed out of the only sequence, with the same answer", async () => {
        const first = await chat(server, longMessage(1));
        expect(first.prompt).toBeGreaterThan(400);
        expect(first.cached).toBe(0);
        // Another conversation takes the sequence; the first one's state is saved as it goes.
        expect((await chat(server, longMessage(2))).cached).toBeLessThan(20);
        const back = await chat(server, longMessage(1));
        expect(back.text).toBe(first.text);
        // All of the prompt but its last token (which is always evaluated, for its logits) came from the saved state.
        expect(back.cached).toBe(back.prompt - 1);
    });

    it("outlives the model's unload: the sequences' states are saved as it goes", async () => {
        // Evaluated afresh, as the first answer above was: numbers computed in other batch sizes may differ in their last bits.
        const before = await chat(server, longMessage(3), { cache_prompt: false });
        await postJson(`${server.url}/api/v1/models/unload-all`, {});
        const back = await chat(server, longMessage(3));
        expect(back.text).toBe(before.text);
        expect(back.cached).toBe(back.prompt - 1);
    });
});

describe("host prompt cache in a folder of the user's", () => {
    it("keeps its states there after the server stops, and copes with states deleted behind its back", async () => {
        const folder = await temporaryFolder("lmhost-prompt-cache-dir-");
        const server = await startTestServer({ modelsDir: await standardModelsFolder(), parallel: 1, promptCacheDir: folder });
        try {
            const first = await chat(server, longMessage(6));
            await chat(server, longMessage(7));
            const saved = await stateFiles(folder);
            expect(saved.length).toBe(1);
            for (const file of saved) await unlink(file);
            const back = await chat(server, longMessage(6));
            expect(back.text).toBe(first.text);
            expect(back.cached).toBeLessThan(20);
        } finally {
            await server.close();
        }
        // The states of the sequence at shutdown stay for the next start.
        expect((await stateFiles(folder)).length).toBeGreaterThan(0);
    });
});

describe("host prompt cache off or too small", () => {
    for (const size of ["0", "64KB"]) {
        it(`evaluates a returning conversation again with --prompt-cache-size ${size}`, async () => {
            const server = await startTestServer({ modelsDir: await standardModelsFolder(), parallel: 1, promptCacheSize: size });
            try {
                const first = await chat(server, longMessage(4));
                await chat(server, longMessage(5));
                const back = await chat(server, longMessage(4));
                expect(back.text).toBe(first.text);
                expect(back.cached).toBeLessThan(20);
            } finally {
                await server.close();
            }
        });
    }
});
