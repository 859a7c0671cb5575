/** What Ollama's delete, copy and pull may touch and take: model parts, folder containment, Hub names. */
import { existsSync } from "node:fs";
import { mkdir, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hubSpecOf } from "../../../src/http/routes/ollama/models.js";
import type { ModelSource } from "../../../src/models/catalog/ModelCatalog.js";
import { deletableParts, deleteParts, isInside, linkModelFiles, modelParts, validCopyName } from "../../../src/models/catalog/modelFiles.js";
import { findByOllamaName } from "../../../src/models/catalog/ollamaNames.js";
import { temporaryFolder } from "../../support/fixtures.js";

async function file(target: string, content = "gguf"): Promise<string> {
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    return target;
}

describe("isInside", () => {
    it("holds for the folder and what is under it, not for siblings sharing a prefix or parents", () => {
        expect(isInside("/models/a/b.gguf", "/models")).toBe(true);
        expect(isInside("/models", "/models")).toBe(true);
        expect(isInside("/models-other/b.gguf", "/models")).toBe(false);
        expect(isInside("/models/../etc/passwd", "/models")).toBe(false);
        expect(isInside("/models/..hidden/b.gguf", "/models")).toBe(true);
        expect(isInside("/", "/models")).toBe(false);
    });
});

describe("model files", () => {
    it("finds every part of a split model, and only its own", async () => {
        const folder = await temporaryFolder();
        const first = await file(path.join(folder, "m-Q4_K_M-00001-of-00002.gguf"));
        await file(path.join(folder, "m-Q4_K_M-00002-of-00002.gguf"));
        await file(path.join(folder, "m-Q4_K_M-00001-of-00003.gguf"));
        await file(path.join(folder, "m-Q8_0-00002-of-00002.gguf"));
        expect((await modelParts({ path: first })).map((part) => path.basename(part))).toEqual(["m-Q4_K_M-00001-of-00002.gguf", "m-Q4_K_M-00002-of-00002.gguf"]);
        const single = await file(path.join(folder, "single.gguf"));
        expect(await modelParts({ path: single })).toEqual([single]);
    });

    it("deletes the parts in a models folder and the folders that leaves empty, never the models folder", async () => {
        const models = await temporaryFolder();
        const sources: ModelSource[] = [{ kind: "folder", path: models }];
        const first = await file(path.join(models, "pub", "repo", "m-00001-of-00002.gguf"));
        await file(path.join(models, "pub", "repo", "m-00002-of-00002.gguf"));
        await file(path.join(models, "pub", "other", "keep.gguf"));
        const parts = await deletableParts({ id: "m", path: first, source: "models folder" }, sources);
        expect(parts).toHaveLength(2);
        await deleteParts(parts, sources);
        expect(existsSync(path.join(models, "pub", "repo"))).toBe(false);
        expect(existsSync(path.join(models, "pub", "other", "keep.gguf"))).toBe(true);
        const alone = await file(path.join(models, "alone.gguf"));
        await deleteParts(await deletableParts({ id: "alone", path: alone, source: "models folder" }, sources), sources);
        expect(existsSync(models)).toBe(true);
    });

    it("refuses the other stores, folders linked from elsewhere, and a models folder inside another store", async () => {
        const models = await temporaryFolder();
        const outside = await temporaryFolder();
        const store = await temporaryFolder();
        await file(path.join(outside, "x.gguf"));
        await symlink(outside, path.join(models, "linked"));
        const sources: ModelSource[] = [{ kind: "folder", path: models }, { kind: "ollama", path: store }];
        await expect(deletableParts({ id: "x", path: path.join(models, "linked", "x.gguf"), source: "models folder" }, sources)).rejects.toThrow(/not inside lmhost's models folders/);
        await expect(deletableParts({ id: "o", path: path.join(store, "blobs", "sha256-1"), source: "Ollama" }, sources)).rejects.toMatchObject({ status: 403 });
        await expect(deletableParts({ id: "h", path: "/hub/x.gguf", source: "Hugging Face cache" }, sources)).rejects.toThrow(/Hugging Face cache/);
        // A models folder configured inside Ollama's store: its files are still Ollama's.
        const inStore = await file(path.join(store, "models", "m.gguf"));
        await expect(deletableParts({ id: "m", path: inStore, source: "models folder" }, [{ kind: "folder", path: path.join(store, "models") }, { kind: "ollama", path: store }]))
            .rejects.toThrow(/not inside/);
        expect(existsSync(inStore)).toBe(true);
    });

    it("hard-links every part under the new name, refusing one that exists", async () => {
        const models = await temporaryFolder();
        const first = await file(path.join(models, "pub", "repo", "m-Q4_K_M-00001-of-00002.gguf"), "one");
        await file(path.join(models, "pub", "repo", "m-Q4_K_M-00002-of-00002.gguf"), "two");
        const written = await linkModelFiles({ path: first, publisher: "pub" }, "copy", models);
        expect(written.map((part) => path.relative(models, part))).toEqual([path.join("pub", "copy", "copy-00001-of-00002.gguf"), path.join("pub", "copy", "copy-00002-of-00002.gguf")]);
        expect((await stat(written[0]!)).nlink).toBe(2);
        await expect(linkModelFiles({ path: first, publisher: "pub" }, "copy", models)).rejects.toThrow(/already exists/);
        expect(validCopyName("fine-name_1.2")).toBe(true);
        for (const name of ["a/b", "a:b", "", "-x", "x.gguf", "../x"]) expect(validCopyName(name), name).toBe(false);
    });
});

describe("Hugging Face names for /api/pull", () => {
    it.each([
        ["hf.co/Qwen/Qwen3-0.6B-GGUF:Q8_0", "Qwen/Qwen3-0.6B-GGUF@Q8_0"],
        ["hf.co/Qwen/Qwen3-0.6B-GGUF", "Qwen/Qwen3-0.6B-GGUF"],
        ["hf.co/Qwen/Qwen3-0.6B-GGUF:latest", "Qwen/Qwen3-0.6B-GGUF"],
        ["huggingface.co/Qwen/Qwen3-0.6B-GGUF:q4_k_m", "Qwen/Qwen3-0.6B-GGUF@q4_k_m"],
        ["https://huggingface.co/Qwen/Qwen3-0.6B-GGUF", "Qwen/Qwen3-0.6B-GGUF"],
        ["Qwen/Qwen3-0.6B-GGUF", "Qwen/Qwen3-0.6B-GGUF"]
    ])("%s downloads %s", (name, spec) => {
        expect(hubSpecOf(name)).toBe(spec);
    });

    it.each(["llama3.2", "llama3.2:3b", "library/llama3", "registry.ollama.ai/library/llama3:8b", "ollama.com/x/y", "hf.co/only-user", "hf.co/a/b/c", "../a/b", "a/../b"])(
        "%s is refused", (name) => {
            expect(() => hubSpecOf(name)).toThrow(/pulls only from the Hugging Face Hub/);
        });

    it("names the pulled model by the name it was pulled with", () => {
        const entry = (id: string, quantization: string, file: string) => ({
            id, source: "models folder", candidate: { baseId: id, quantization, relativePath: `Qwen/Qwen3-GGUF/${file}`, publisher: "Qwen", repo: "Qwen3-GGUF" }
        });
        const q4 = entry("qwen3@q4_k_m", "Q4_K_M", "Qwen3-Q4_K_M.gguf");
        const q8 = entry("qwen3@q8_0", "Q8_0", "Qwen3-Q8_0.gguf");
        expect(findByOllamaName("hf.co/qwen/qwen3-gguf:Q8_0", [q4, q8])).toBe(q8);
        expect(findByOllamaName("huggingface.co/Qwen/Qwen3-GGUF:q4_k_m", [q4, q8])).toBe(q4);
        expect(findByOllamaName("hf.co/Qwen/Qwen3-GGUF", [q8])).toBe(q8);
        // Several quantizations and none named: not one model.
        expect(findByOllamaName("hf.co/Qwen/Qwen3-GGUF", [q4, q8])).toBeNull();
        expect(findByOllamaName("hf.co/Qwen/Other-GGUF:Q8_0", [q4, q8])).toBeNull();
    });
});
