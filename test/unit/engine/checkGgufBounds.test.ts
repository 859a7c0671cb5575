import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkGgufBounds, MalformedGguf } from "../../../src/engine/checkGgufBounds.js";
import { ensureFixtures, temporaryFolder } from "../../support/fixtures.js";
import { lyingGgufFiles } from "../../support/gguf/lyingHeaders.js";

describe("checkGgufBounds", () => {
    let folder: string;
    beforeAll(async () => {
        folder = await temporaryFolder();
        for (const [name, bytes] of Object.entries(lyingGgufFiles())) await writeFile(path.join(folder, name), bytes);
    });

    it.each(Object.keys(lyingGgufFiles()))("refuses %s, whose header claims more than the file holds", async (name) => {
        await expect(checkGgufBounds(path.join(folder, name))).rejects.toThrow(MalformedGguf);
        await expect(checkGgufBounds(path.join(folder, name))).rejects.toThrow(/more than|past the end/);
    });

    it("passes real GGUF files", async () => {
        const fixtures = await ensureFixtures();
        await expect(checkGgufBounds(fixtures.chat)).resolves.toBeUndefined();
        await expect(checkGgufBounds(fixtures.embedding)).resolves.toBeUndefined();
    });
});
