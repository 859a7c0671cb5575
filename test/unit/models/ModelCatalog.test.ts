import { statSync } from "node:fs";
import { mkdir, rm, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/logger.js";
import { ModelCatalog, modelTypeOf } from "../../../src/models/catalog/ModelCatalog.js";
import { readModelHeader, type ModelHeader } from "../../../src/engine/readModelHeader.js";
import { temporaryFolder } from "../../support/fixtures.js";
import { LlamaFileType } from "../../support/gguf/fixtureModels.js";
import { writeHeaderOnlyModel, type HeaderOnlyOptions } from "../../support/gguf/headerOnlyModel.js";

let folder: string;
const place = async (relativePath: string, options: HeaderOnlyOptions = {}) => {
    const file = path.join(folder, relativePath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeHeaderOnlyModel(file, options);
    return file;
};
const ids = async (catalog = new ModelCatalog([folder], silentLogger)) => (await catalog.list()).map((entry) => entry.id).sort();

beforeEach(async () => {
    folder = await temporaryFolder();
});

describe("model catalog", () => {
    it("reads architecture, quantization, context length and type from headers", async () => {
        await place("lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf",
            { fileType: LlamaFileType.MOSTLY_Q4_K_M, contextLength: 131072 });
        await place("nomic-ai/nomic-embed-text-v1.5-GGUF/nomic-embed-text-v1.5.Q8_0.gguf",
            { architecture: "nomic-bert", fileType: LlamaFileType.MOSTLY_Q8_0, contextLength: 2048 });
        const entries = await new ModelCatalog([folder], silentLogger).list();
        expect(entries.map(({ id, type, publisher, architecture, quantization, maxContextLength }) =>
            ({ id, type, publisher, architecture, quantization, maxContextLength }))).toEqual([
            { id: "meta-llama-3.1-8b-instruct", type: "llm", publisher: "lmstudio-community", architecture: "llama", quantization: "Q4_K_M", maxContextLength: 131072 },
            { id: "text-embedding-nomic-embed-text-v1.5", type: "embeddings", publisher: "nomic-ai", architecture: "nomic-bert", quantization: "Q8_0", maxContextLength: 2048 }
        ]);
    });

    it("decides embedding models from the architecture or a pooling type", () => {
        expect(modelTypeOf({ architecture: "bert", poolingType: null })).toBe("embeddings");
        expect(modelTypeOf({ architecture: "qwen3", poolingType: 3 })).toBe("embeddings");
        // Rank pooling: a reranker (bge-reranker, Qwen3-Reranker), whatever the architecture.
        expect(modelTypeOf({ architecture: "bert", poolingType: 4 })).toBe("reranker");
        expect(modelTypeOf({ architecture: "qwen3", poolingType: 4 })).toBe("reranker");
        expect(modelTypeOf({ architecture: "qwen3", poolingType: 0 })).toBe("llm");
        expect(modelTypeOf({ architecture: "llama", poolingType: null })).toBe("llm");
    });

    it("finds models at any depth under a publisher", async () => {
        await place("pub/repo/sub/folder/deep-model-Q8_0.gguf", { fileType: LlamaFileType.MOSTLY_Q8_0 });
        await place("pub/shallow-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        expect(await ids()).toEqual(["deep-model", "shallow"]);
    });

    it("gives quantizations of one model distinct ids", async () => {
        await place("lmstudio-community/Qwen3-14B-GGUF/Qwen3-14B-Q6_K.gguf", { fileType: LlamaFileType.MOSTLY_Q6_K });
        await place("lmstudio-community/Qwen3-14B-GGUF/Qwen3-14B-Q4_K_M.gguf", { fileType: LlamaFileType.MOSTLY_Q4_K_M });
        await place("other/Qwen3-14B-GGUF/Qwen3-14B-Q4_K_M.gguf", { fileType: LlamaFileType.MOSTLY_Q4_K_M });
        const catalog = new ModelCatalog([folder], silentLogger);
        expect(await ids(catalog)).toEqual([
            "lmstudio-community/qwen3-14b-gguf/qwen3-14b-q4_k_m", "other/qwen3-14b-gguf/qwen3-14b-q4_k_m", "qwen3-14b@q6_k"
        ]);
        expect((await catalog.resolve("QWEN3-14B@Q6_K")).path).toContain("Qwen3-14B-Q6_K.gguf");
        await expect(catalog.resolve("qwen3-14b")).rejects.toMatchObject({ status: 400, code: "ambiguous_model" });
    });

    it("lists a split model once, with the size of all its parts", async () => {
        const first = await place("pub/big-GGUF/big-Q4_K_M-00001-of-00002.gguf", { fileType: LlamaFileType.MOSTLY_Q4_K_M, split: { index: 0, count: 2 } });
        await place("pub/big-GGUF/big-Q4_K_M-00002-of-00002.gguf", { fileType: LlamaFileType.MOSTLY_Q4_K_M, split: { index: 1, count: 2 } });
        const entries = await new ModelCatalog([folder], silentLogger).list();
        expect(entries).toHaveLength(1);
        expect(entries[0]).toMatchObject({ id: "big", path: first });
        expect(entries[0]!.sizeBytes).toBeGreaterThan(statSync(first).size);
    });

    it("leaves out split models with missing parts, and says why", async () => {
        await place("pub/big-GGUF/big-Q4_K_M-00001-of-00003.gguf", { split: { index: 0, count: 3 } });
        const catalog = new ModelCatalog([folder], silentLogger);
        expect(await ids(catalog)).toEqual([]);
        expect(catalog.unusable[0]?.reason).toContain("1 of 3 parts");
    });

    it("does not list vision projectors", async () => {
        await place("pub/llava-GGUF/llava-v1.5-7b-Q4_K_M.gguf", { fileType: LlamaFileType.MOSTLY_Q4_K_M });
        await place("pub/llava-GGUF/mmproj-model-f16.gguf", { architecture: "clip" });
        expect(await ids()).toEqual(["llava-v1.5-7b"]);
    });

    it("skips files that are not GGUF, with a reason, and lists the rest", async () => {
        await place("pub/good-GGUF/good-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        await mkdir(path.join(folder, "pub/bad-GGUF"), { recursive: true });
        await writeFile(path.join(folder, "pub/bad-GGUF/bad-Q4_K_M.gguf"), "this is not a gguf file");
        await writeFile(path.join(folder, "pub/bad-GGUF/empty.gguf"), "");
        const warnings: string[] = [];
        const catalog = new ModelCatalog([folder], { ...silentLogger, warn: (message) => warnings.push(message) });
        expect(await ids(catalog)).toEqual(["good"]);
        expect(catalog.unusable.map((problem) => path.basename(problem.path)).sort()).toEqual(["bad-Q4_K_M.gguf", "empty.gguf"]);
        await catalog.list();
        expect(warnings).toHaveLength(2);
    });

    it("shows files added or removed since the last listing", async () => {
        const catalog = new ModelCatalog([folder], silentLogger);
        expect(await ids(catalog)).toEqual([]);
        const added = await place("pub/new-GGUF/new-model-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        expect(await ids(catalog)).toEqual(["new-model"]);
        await rm(added);
        expect(await ids(catalog)).toEqual([]);
    });

    it("treats a missing models folder as empty", async () => {
        expect(await ids(new ModelCatalog([path.join(folder, "does-not-exist")], silentLogger))).toEqual([]);
    });

    it("names available ids when a model is not found", async () => {
        await place("pub/a-GGUF/alpha-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        await expect(new ModelCatalog([folder], silentLogger).resolve("beta"))
            .rejects.toMatchObject({ status: 404, code: "model_not_found", message: expect.stringContaining("alpha") });
    });
});

/** The real header reader, counting its calls, and holding back the files `hold` names until they are released. */
function watchedReader() {
    const reads: string[] = [];
    const held = new Map<string, () => void>();
    const gates = new Map<string, Promise<void>>();
    let running = 0;
    const watch = {
        reads, maxRunning: 0,
        hold(fileName: string) {
            let release!: () => void;
            const released = new Promise<void>((resolve) => { release = resolve; });
            held.set(fileName, () => { held.delete(fileName); release(); });
            gates.set(fileName, released);
        },
        release(fileName: string) { held.get(fileName)?.(); },
        async readHeader(file: string, signal: AbortSignal): Promise<ModelHeader> {
            reads.push(path.basename(file));
            running++;
            watch.maxRunning = Math.max(watch.maxRunning, running);
            try {
                const gate = gates.get(path.basename(file));
                if (gate) {
                    await new Promise<void>((resolve, reject) => {
                        void gate.then(resolve);
                        signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
                    });
                }
                await new Promise((resolve) => setTimeout(resolve, 2));
                return await readModelHeader(file, signal);
            } finally {
                running--;
            }
        }
    };
    return watch;
}

describe("model catalog scans", () => {
    it("reads a failing file once per version, and again when it changes", async () => {
        await place("pub/good-GGUF/good-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        const bad = path.join(folder, "pub/good-GGUF/bad-Q4_K_M.gguf");
        await writeFile(bad, "this is not a gguf file");
        const reader = watchedReader();
        const catalog = new ModelCatalog([folder], silentLogger, { readHeader: reader.readHeader });
        await catalog.list();
        await catalog.list();
        expect(reader.reads.filter((name) => name === "bad-Q4_K_M.gguf")).toHaveLength(1);
        expect(reader.reads.filter((name) => name === "good-F16.gguf")).toHaveLength(1);
        await utimes(bad, new Date(), new Date(Date.now() + 5000));
        await catalog.list();
        expect(reader.reads.filter((name) => name === "bad-Q4_K_M.gguf")).toHaveLength(2);
        expect(catalog.unusable.map((problem) => path.basename(problem.path))).toEqual(["bad-Q4_K_M.gguf"]);
    });

    it("gives up on a header that takes longer than its budget, and says so", async () => {
        await place("pub/a-GGUF/slow-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        await place("pub/a-GGUF/quick-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        const reader = watchedReader();
        reader.hold("slow-F16.gguf");
        const catalog = new ModelCatalog([folder], silentLogger, { readHeader: reader.readHeader, headerReadBudgetMs: 100 });
        expect(await ids(catalog)).toEqual(["quick"]);
        expect(catalog.unusable).toEqual([{ path: expect.stringContaining("slow-F16.gguf"), reason: "its header took more than 100 ms to read" }]);
    });

    it("stops reading headers when closed", async () => {
        await place("pub/a-GGUF/stuck-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        const reader = watchedReader();
        reader.hold("stuck-F16.gguf");
        const catalog = new ModelCatalog([folder], silentLogger, { readHeader: reader.readHeader });
        const listing = catalog.list();
        await new Promise((resolve) => setTimeout(resolve, 50));
        catalog.close();
        await expect(listing).rejects.toMatchObject({ status: 503, code: "shutting_down" });
        await expect(catalog.list()).rejects.toMatchObject({ code: "shutting_down" });
    });

    it("runs one scan for concurrent listings, reading headers a few at a time", async () => {
        for (let index = 0; index < 12; index++) await place(`pub/many-GGUF/model-${index}-F16.gguf`, { fileType: LlamaFileType.MOSTLY_F16 });
        const reader = watchedReader();
        const catalog = new ModelCatalog([folder], silentLogger, { readHeader: reader.readHeader, headerReadConcurrency: 3 });
        const listings = await Promise.all([catalog.list(), catalog.list(), catalog.list()]);
        expect(listings.map((entries) => entries.length)).toEqual([12, 12, 12]);
        expect(reader.reads).toHaveLength(12);
        expect(reader.maxRunning).toBe(3);
    });

    it("answers from the last complete scan while a rescan runs, and finds a new model in the rescan", async () => {
        await place("pub/a-GGUF/old-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        const reader = watchedReader();
        const catalog = new ModelCatalog([folder], silentLogger, { readHeader: reader.readHeader });
        expect(await ids(catalog)).toEqual(["old"]);
        await place("pub/a-GGUF/new-F16.gguf", { fileType: LlamaFileType.MOSTLY_F16 });
        reader.hold("new-F16.gguf");
        const rescan = catalog.list();
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await ids(catalog)).toEqual(["old"]);
        const resolving = catalog.resolve("new");
        reader.release("new-F16.gguf");
        expect((await resolving).id).toBe("new");
        expect((await rescan).map((entry) => entry.id).sort()).toEqual(["new", "old"]);
    });
});
