/** The benchmark model: large enough that decoding, not overhead, dominates (about 330 MB at F16). */
import { existsSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { fixtureCacheDir } from "../test/support/fixtures.js";
import { writeChatModel } from "../test/support/gguf/fixtureModels.js";

export type BenchModel = { name: string; path: string; description: string };

const shapes = {
    gpt2: { embeddingLength: 768, layers: 12, heads: 12, feedForwardLength: 3072, description: "generated llama 768x12 F16 (382 MB)" },
    large: { embeddingLength: 1024, layers: 20, heads: 16, feedForwardLength: 4096, description: "generated llama 1024x20 F16 (743 MB)" }
} as const;

export async function ensureBenchModel(shape: keyof typeof shapes = "gpt2"): Promise<BenchModel> {
    const { description, ...dimensions } = shapes[shape];
    const name = `bench-llama-${dimensions.embeddingLength}x${dimensions.layers}`;
    const file = path.join(fixtureCacheDir, "bench", `${name}-F16.gguf`);
    if (!existsSync(file)) {
        await mkdir(path.dirname(file), { recursive: true });
        const partial = `${file}.partial`;
        await writeChatModel(partial, { name, ...dimensions, vocabularySize: 50257, contextLength: 2048 });
        await rename(partial, file);
    }
    return { name, path: file, description };
}
