/** The benchmark model: large enough that decoding, not overhead, dominates (about 330 MB at F16). */
import { existsSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { fixtureCacheDir } from "../test/support/fixtures.js";
import { writeChatModel } from "../test/support/gguf/fixtureModels.js";

export const benchModelPath = path.join(fixtureCacheDir, "bench", "bench-llama-768x12-F16.gguf");

export async function ensureBenchModel(): Promise<string> {
    if (existsSync(benchModelPath)) return benchModelPath;
    await mkdir(path.dirname(benchModelPath), { recursive: true });
    const partial = `${benchModelPath}.partial`;
    // GPT-2's width, depth and vocabulary size, like the 326 MB model of shared/notes/engine-threads.md.
    await writeChatModel(partial, { name: "Bench Llama 768x12", embeddingLength: 768, layers: 12, heads: 12, feedForwardLength: 3072, vocabularySize: 50257, contextLength: 2048 });
    await rename(partial, benchModelPath);
    return benchModelPath;
}
