/** Each model source's layout, built in a temporary folder, read by the catalog. */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/logger.js";
import { ModelCatalog } from "../../../src/models/catalog/ModelCatalog.js";
import { defaultHuggingFaceCache } from "../../../src/models/catalog/sources/huggingFaceCache.js";
import { defaultOllamaModels } from "../../../src/models/catalog/sources/ollamaStore.js";
import { temporaryFolder } from "../../support/fixtures.js";
import { LlamaFileType } from "../../support/gguf/fixtureModels.js";
import { writeHeaderOnlyModel } from "../../support/gguf/headerOnlyModel.js";

const sha = (character: string) => character.repeat(64);

/** `models--<owner>--<repo>/{blobs,refs,snapshots}` with files as symlinks into blobs, as huggingface_hub writes them. */
async function huggingFaceRepo(hub: string, owner: string, repo: string, files: Record<string, number>, revision = "abc123") {
    const root = path.join(hub, `models--${owner}--${repo}`);
    await mkdir(path.join(root, "blobs"), { recursive: true });
    await mkdir(path.join(root, "refs"), { recursive: true });
    await writeFile(path.join(root, "refs", "main"), revision);
    for (const [index, [file, fileType]] of Object.entries(files).entries()) {
        const blob = path.join(root, "blobs", sha(String(index)));
        await writeHeaderOnlyModel(blob, { fileType, contextLength: 4096 });
        const link = path.join(root, "snapshots", revision, file);
        await mkdir(path.dirname(link), { recursive: true });
        await symlink(path.relative(path.dirname(link), blob), link);
    }
}

async function ollamaModel(store: string, namespace: string, model: string, tag: string, digestCharacter: string, fileType: number) {
    const manifest = path.join(store, "manifests", "registry.ollama.ai", namespace, model, tag);
    await mkdir(path.dirname(manifest), { recursive: true });
    await mkdir(path.join(store, "blobs"), { recursive: true });
    await writeHeaderOnlyModel(path.join(store, "blobs", `sha256-${sha(digestCharacter)}`), { fileType, contextLength: 8192 });
    await writeFile(path.join(store, "blobs", `sha256-${sha("f")}`), "{}");
    await writeFile(manifest, JSON.stringify({
        schemaVersion: 2,
        config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: `sha256:${sha("f")}` },
        layers: [
            { mediaType: "application/vnd.ollama.image.model", digest: `sha256:${sha(digestCharacter)}`, size: 1 },
            { mediaType: "application/vnd.ollama.image.template", digest: `sha256:${sha("e")}`, size: 1 }
        ]
    }));
}

describe("model sources", () => {
    it("lists GGUF files from the Hugging Face cache, with the owner as publisher, at the revision refs/main names", async () => {
        const hub = await temporaryFolder();
        await huggingFaceRepo(hub, "Qwen", "Qwen3-8B-GGUF", { "Qwen3-8B-Q4_K_M.gguf": LlamaFileType.MOSTLY_Q4_K_M, "sub/Qwen3-8B-Q8_0.gguf": LlamaFileType.MOSTLY_Q8_0 });
        await huggingFaceRepo(hub, "Qwen", "Qwen3-8B-GGUF", { "Old-Q4_K_M.gguf": LlamaFileType.MOSTLY_Q4_K_M }, "old999");
        await writeFile(path.join(hub, "models--Qwen--Qwen3-8B-GGUF", "refs", "main"), "abc123");
        const entries = await new ModelCatalog([{ kind: "huggingface", path: hub }], silentLogger).list();
        expect(entries.map(({ id, publisher, repo, source, quantization }) => ({ id, publisher, repo, source, quantization }))).toEqual([
            { id: "qwen3-8b@q4_k_m", publisher: "Qwen", repo: "Qwen3-8B-GGUF", source: "Hugging Face cache", quantization: "Q4_K_M" },
            { id: "qwen3-8b@q8_0", publisher: "Qwen", repo: "Qwen3-8B-GGUF", source: "Hugging Face cache", quantization: "Q8_0" }
        ]);
    });

    it("lists Ollama's models from their manifests, with the namespace (library: ollama) as publisher", async () => {
        const store = await temporaryFolder();
        await ollamaModel(store, "library", "llama3.2", "latest", "a", LlamaFileType.MOSTLY_Q4_K_M);
        await ollamaModel(store, "library", "llama3.2", "1b-instruct-q8_0", "b", LlamaFileType.MOSTLY_Q8_0);
        await ollamaModel(store, "someone", "tiny", "latest", "c", LlamaFileType.MOSTLY_F16);
        const entries = await new ModelCatalog([{ kind: "ollama", path: store }], silentLogger).list();
        expect(entries.map(({ id, publisher, repo, source, maxContextLength }) => ({ id, publisher, repo, source, maxContextLength }))).toEqual([
            { id: "llama3.2-1b-instruct", publisher: "ollama", repo: "llama3.2", source: "Ollama", maxContextLength: 8192 },
            { id: "llama3.2", publisher: "ollama", repo: "llama3.2", source: "Ollama", maxContextLength: 8192 },
            { id: "tiny", publisher: "someone", repo: "tiny", source: "Ollama", maxContextLength: 8192 }
        ]);
        expect(entries[0]!.path).toBe(path.join(store, "blobs", `sha256-${sha("b")}`));
    });

    it("keeps ids unique across several models folders, the Hugging Face cache and Ollama", async () => {
        const [first, second, hub, store] = await Promise.all([temporaryFolder(), temporaryFolder(), temporaryFolder(), temporaryFolder()]);
        for (const folder of [first, second]) {
            await mkdir(path.join(folder, "lmstudio-community", "Qwen3-8B-GGUF"), { recursive: true });
            await writeHeaderOnlyModel(path.join(folder, "lmstudio-community", "Qwen3-8B-GGUF", "Qwen3-8B-Q4_K_M.gguf"), { fileType: LlamaFileType.MOSTLY_Q4_K_M });
        }
        await huggingFaceRepo(hub, "Qwen", "Qwen3-8B-GGUF", { "Qwen3-8B-Q4_K_M.gguf": LlamaFileType.MOSTLY_Q4_K_M });
        await ollamaModel(store, "library", "qwen3", "8b", "d", LlamaFileType.MOSTLY_Q4_K_M);
        const catalog = new ModelCatalog([first, second, { kind: "huggingface", path: hub }, { kind: "ollama", path: store }], silentLogger);
        const ids = (await catalog.list()).map((entry) => entry.id);
        // Four files are qwen3-8b at Q4_K_M: each falls back to its path within its source.
        expect(ids).toEqual([
            "lmstudio-community/qwen3-8b-gguf/qwen3-8b-q4_k_m", "lmstudio-community/qwen3-8b-gguf/qwen3-8b-q4_k_m-2",
            "qwen/qwen3-8b-gguf/qwen3-8b-q4_k_m", "ollama/library/qwen3/8b"
        ]);
        expect(new Set(ids).size).toBe(ids.length);
    });

    it("finds the default locations the way huggingface_hub and Ollama do", () => {
        expect(defaultHuggingFaceCache({ HF_HUB_CACHE: "/x/hub" }, "/home/u")).toBe("/x/hub");
        expect(defaultHuggingFaceCache({ HF_HOME: "/x" }, "/home/u")).toBe("/x/hub");
        expect(defaultHuggingFaceCache({}, "/home/u")).toBe("/home/u/.cache/huggingface/hub");
        expect(defaultOllamaModels({ OLLAMA_MODELS: "/o" }, "/home/u")).toBe("/o");
        expect(defaultOllamaModels({}, "/home/u")).toBe("/home/u/.ollama/models");
    });
});
