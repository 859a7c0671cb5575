import { describe, expect, it } from "vitest";
import { assignModelIds, resolveModelReference, type IdCandidate } from "../../../src/models/catalog/modelIds.js";

const candidate = (baseId: string, quantization: string, relativePath: string): IdCandidate => {
    const [publisher = "", repo = ""] = relativePath.split("/");
    return { baseId, quantization, relativePath, publisher, repo };
};

describe("assignModelIds", () => {
    it("uses the base id when no other model shares it", () => {
        expect(assignModelIds([candidate("phi-4", "Q4_K_M", "a/b/phi-4-Q4_K_M.gguf"), candidate("qwen3-8b", "Q8_0", "a/c/q.gguf")]))
            .toEqual(["phi-4", "qwen3-8b"]);
    });

    it("tells quantizations of one model apart with @quant", () => {
        expect(assignModelIds([
            candidate("qwen3-14b", "Q6_K", "lmstudio-community/Qwen3-14B-GGUF/Qwen3-14B-Q6_K.gguf"),
            candidate("qwen3-14b", "Q4_K_M", "lmstudio-community/Qwen3-14B-GGUF/Qwen3-14B-Q4_K_M.gguf")
        ])).toEqual(["qwen3-14b@q6_k", "qwen3-14b@q4_k_m"]);
    });

    it("falls back to the path when the same quantization sits in two folders", () => {
        expect(assignModelIds([
            candidate("phi-4", "Q4_K_M", "pub-a/phi-4-GGUF/phi-4-Q4_K_M.gguf"),
            candidate("phi-4", "Q4_K_M", "pub-b/phi-4-GGUF/phi-4-Q4_K_M.gguf"),
            candidate("phi-4", "Q8_0", "pub-b/phi-4-GGUF/phi-4-Q8_0.gguf")
        ])).toEqual(["pub-a/phi-4-gguf/phi-4-q4_k_m", "pub-b/phi-4-gguf/phi-4-q4_k_m", "phi-4@q8_0"]);
    });

    it("never gives two models one id, even when paths differ only by case", () => {
        const ids = assignModelIds([
            candidate("m", "F16", "p/r/M.gguf"),
            candidate("m", "F16", "p/r/m.gguf")
        ]);
        expect(new Set(ids).size).toBe(2);
        expect(ids).toEqual(["p/r/m-2", "p/r/m"]);
    });
});

describe("resolveModelReference", () => {
    const candidates = [
        candidate("qwen3-14b", "Q6_K", "lmstudio-community/Qwen3-14B-GGUF/Qwen3-14B-Q6_K.gguf"),
        candidate("qwen3-14b", "Q4_K_M", "lmstudio-community/Qwen3-14B-GGUF/Qwen3-14B-Q4_K_M.gguf"),
        candidate("phi-4", "Q4_K_M", "lmstudio-community/phi-4-GGUF/phi-4-Q4_K_M.gguf")
    ];
    const ids = assignModelIds(candidates);
    const items = candidates.map((c, index) => ({ id: ids[index]!, candidate: c }));
    const resolve = (reference: string) => resolveModelReference(reference, items);

    it("finds models by id, ignoring case", () => {
        expect(resolve("Qwen3-14B@Q6_K")).toMatchObject({ kind: "found", item: { id: "qwen3-14b@q6_k" } });
        expect(resolve("phi-4")).toMatchObject({ kind: "found", item: { id: "phi-4" } });
    });

    it("accepts id@quant for a model whose id has no quantization", () => {
        expect(resolve("phi-4@q4_k_m")).toMatchObject({ kind: "found", item: { id: "phi-4" } });
    });

    it("accepts publisher/repo when that folder holds one model", () => {
        expect(resolve("lmstudio-community/phi-4-GGUF")).toMatchObject({ kind: "found", item: { id: "phi-4" } });
    });

    it("accepts the path under the models folder", () => {
        expect(resolve("lmstudio-community/phi-4-GGUF/phi-4-Q4_K_M.gguf")).toMatchObject({ kind: "found", item: { id: "phi-4" } });
    });

    it("reports ambiguity instead of guessing", () => {
        expect(resolve("qwen3-14b")).toEqual({ kind: "ambiguous", ids: ["qwen3-14b@q6_k", "qwen3-14b@q4_k_m"] });
        expect(resolve("lmstudio-community/Qwen3-14B-GGUF")).toMatchObject({ kind: "ambiguous" });
    });

    it("finds nothing for unknown names and traversal attempts", () => {
        expect(resolve("nope")).toEqual({ kind: "none" });
        expect(resolve("../../etc/passwd")).toEqual({ kind: "none" });
    });
});
