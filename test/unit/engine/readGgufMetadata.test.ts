import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MalformedGguf, readGgufMetadata } from "../../../src/engine/readGgufMetadata.js";
import { readGgufFileInfo } from "node-llama-cpp";
import { readModelHeader } from "../../../src/engine/readModelHeader.js";
import { ensureFixtures, temporaryFolder } from "../../support/fixtures.js";
import { lyingGgufFiles } from "../../support/gguf/lyingHeaders.js";

const everything = () => true;

describe("readGgufMetadata", () => {
    let folder: string;
    beforeAll(async () => {
        folder = await temporaryFolder();
        for (const [name, bytes] of Object.entries(lyingGgufFiles())) await writeFile(path.join(folder, name), bytes);
    });

    it.each(Object.keys(lyingGgufFiles()))("refuses %s, whose header claims more than the file holds", async (name) => {
        await expect(readGgufMetadata(path.join(folder, name), everything)).rejects.toThrow(MalformedGguf);
        await expect(readGgufMetadata(path.join(folder, name), everything)).rejects.toThrow(/more than|past the end/);
    });

    it("passes real GGUF files", async () => {
        const fixtures = await ensureFixtures();
        const chat = await readGgufMetadata(fixtures.chat, everything);
        const reference = (await readGgufFileInfo(fixtures.chat, { readTensorInfo: false })).metadata;
        expect(chat.get("general.architecture")).toBe("llama");
        expect(chat.get("tokenizer.ggml.tokens")).toEqual(reference.tokenizer.ggml.tokens);
        expect(chat.get("tokenizer.chat_template")).toBe(reference.tokenizer.chat_template);
        expect(chat.get("llama.context_length")).toBe(reference.llama!.context_length);
        expect((await readGgufMetadata(fixtures.embedding, (key) => key === "general.architecture"))).toEqual(new Map([["general.architecture", "bert"]]));
    });

    it("stops reading when its signal aborts", async () => {
        const fixtures = await ensureFixtures();
        const reason = new Error("shutting down");
        await expect(readGgufMetadata(fixtures.chat, everything, AbortSignal.abort(reason))).rejects.toBe(reason);
        await expect(readModelHeader(fixtures.chat, AbortSignal.abort(reason))).rejects.toBe(reason);
        await expect(readModelHeader(fixtures.chat, new AbortController().signal)).resolves.toMatchObject({ architecture: "llama" });
    });
});
