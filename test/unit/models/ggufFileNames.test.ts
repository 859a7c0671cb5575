import { describe, expect, it } from "vitest";
import { baseModelId, parseGgufFileName, quantizationFromStem } from "../../../src/models/catalog/ggufFileNames.js";

describe("GGUF file names", () => {
    it.each([
        ["Meta-Llama-3.1-8B-Instruct-Q4_K_M", "meta-llama-3.1-8b-instruct", "Q4_K_M"],
        ["phi-4-Q4_K_M", "phi-4", "Q4_K_M"],
        ["nomic-embed-text-v1.5.Q8_0", "nomic-embed-text-v1.5", "Q8_0"],
        ["Qwen3-14B-IQ4_XS", "qwen3-14b", "IQ4_XS"],
        ["gemma-2-9b-it-Q6_K_L", "gemma-2-9b-it", "Q6_K_L"],
        ["Qwen3-8B-UD-Q4_K_XL", "qwen3-8b", "Q4_K_XL"],
        ["model-f16", "model", "F16"],
        ["model-BF16", "model", "BF16"],
        ["tinyllama", "tinyllama", null]
    ])("%s -> id %s, quantization %s", (stem, id, quantization) => {
        expect(baseModelId(stem, "llm")).toBe(id);
        expect(quantizationFromStem(stem)).toBe(quantization);
    });

    it("prefixes embedding models with text-embedding- once", () => {
        expect(baseModelId("nomic-embed-text-v1.5.Q8_0", "embeddings")).toBe("text-embedding-nomic-embed-text-v1.5");
        expect(baseModelId("text-embedding-3-small-F16", "embeddings")).toBe("text-embedding-3-small");
    });

    it("recognises split parts and strips their suffix", () => {
        expect(parseGgufFileName("big-Q4_K_M-00002-of-00003.gguf")).toEqual({
            stem: "big-Q4_K_M", split: { part: 2, count: 3 }, isProjector: false
        });
    });

    it("recognises vision projectors", () => {
        expect(parseGgufFileName("mmproj-model-f16.gguf").isProjector).toBe(true);
        expect(parseGgufFileName("llava-v1.5-mmproj-f16.gguf").isProjector).toBe(true);
        expect(parseGgufFileName("llava-v1.5-7b-Q4_K.gguf").isProjector).toBe(false);
    });
});
