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

/**
 * A model and a draft for it, for speculative decoding: a 1024x24 model whose layers after the second add little
 * (quietLayersFrom), and the 2-layer model of the same seed, whose weights are its first layers'. The draft
 * guesses most of the model's greedy tokens at about a tenth of its cost per token, as a small model of a family
 * does for a large one. Vocabulary 8,000: the output layer would otherwise dominate the draft's cost.
 */
export async function ensureSpeculativePair(quietScale = 0.1): Promise<{ target: BenchModel; draft: BenchModel }> {
    const shape = { embeddingLength: 1024, heads: 16, feedForwardLength: 4096, vocabularySize: 8000, contextLength: 4096, seed: 7 };
    const write = async (name: string, layers: number, description: string, extra: object = {}): Promise<BenchModel> => {
        const file = path.join(fixtureCacheDir, "bench", `${name}-F16.gguf`);
        if (!existsSync(file)) {
            await mkdir(path.dirname(file), { recursive: true });
            await writeChatModel(`${file}.partial`, { name, ...shape, layers, ...extra });
            await rename(`${file}.partial`, file);
        }
        return { name, path: file, description };
    };
    const scaleLabel = String(quietScale).replace(".", "p");
    return {
        target: await write(`spec-target-1024x24-quiet${scaleLabel}`, 24, "generated llama 1024x24 F16 (822 MB), layers 3-24 quiet",
            { quietLayersFrom: 2, quietScale }),
        draft: await write("spec-draft-1024x2", 2, "its first 2 layers (84 MB)")
    };
}
