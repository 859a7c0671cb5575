import { describe, expect, it } from "vitest";
import { parseDownloadSpec, selectDownloadFiles, type HubFile } from "../../../src/models/download/hubFiles.js";

const file = (path: string, size = 100): HubFile => ({ path, size, sha256: null });
const listing = [
    file("Qwen3-8B-Q8_0.gguf", 800), file("Qwen3-8B-Q4_K_M.gguf", 500), file("Qwen3-8B-Q6_K.gguf", 650), file("mmproj-Qwen3-8B-F16.gguf", 50),
    file("big/Qwen3-8B-F16-00001-of-00002.gguf"), file("big/Qwen3-8B-F16-00002-of-00002.gguf"), file("README.md", 1)
];
const select = (spec: string, files = listing) => selectDownloadFiles(parseDownloadSpec(spec), files).map((chosen) => chosen.path);

describe("parseDownloadSpec", () => {
    it("reads user/repo, @quantization, a file name and Hub URLs", () => {
        expect(parseDownloadSpec("Qwen/Qwen3-8B-GGUF")).toEqual({ repo: "Qwen/Qwen3-8B-GGUF", quantization: null, file: null });
        expect(parseDownloadSpec("Qwen/Qwen3-8B-GGUF@q8_0")).toEqual({ repo: "Qwen/Qwen3-8B-GGUF", quantization: "Q8_0", file: null });
        expect(parseDownloadSpec("Qwen/Qwen3-8B-GGUF/Qwen3-8B-Q6_K.gguf")).toEqual({ repo: "Qwen/Qwen3-8B-GGUF", quantization: null, file: "Qwen3-8B-Q6_K.gguf" });
        expect(parseDownloadSpec("Qwen/Qwen3-8B-GGUF@Qwen3-8B-Q6_K.gguf").file).toBe("Qwen3-8B-Q6_K.gguf");
        expect(parseDownloadSpec("https://huggingface.co/Qwen/Qwen3-8B-GGUF").repo).toBe("Qwen/Qwen3-8B-GGUF");
    });

    it("refuses anything that is not user/repo", () => {
        expect(() => parseDownloadSpec("qwen3")).toThrow(/user\/repo/);
        expect(() => parseDownloadSpec("a/../b")).toThrow();
        for (const steering of ["user/repo?x=1", "user/repo#frag", "us%2F..%2Fer/repo", "user\\..\\x/repo", "user/re\u0000po", "../user/repo"]) {
            expect(() => parseDownloadSpec(steering), steering).toThrow(/not a Hugging Face model/);
        }
    });
});

describe("selectDownloadFiles", () => {
    it("picks Q4_K_M by default", () => {
        expect(select("Qwen/Qwen3-8B-GGUF")).toEqual(["Qwen3-8B-Q4_K_M.gguf"]);
    });

    it("falls back through the preference list, then to the smallest file", () => {
        expect(select("u/r", [file("m-Q8_0.gguf"), file("m-Q6_K.gguf")])).toEqual(["m-Q6_K.gguf"]);
        expect(select("u/r", [file("weird-a.gguf", 30), file("weird-b.gguf", 20)])).toEqual(["weird-b.gguf"]);
    });

    it("picks a requested quantization, with every part of a split model", () => {
        expect(select("Qwen/Qwen3-8B-GGUF@Q8_0")).toEqual(["Qwen3-8B-Q8_0.gguf"]);
        expect(select("Qwen/Qwen3-8B-GGUF@F16")).toEqual(["big/Qwen3-8B-F16-00001-of-00002.gguf", "big/Qwen3-8B-F16-00002-of-00002.gguf"]);
        expect(select("Qwen/Qwen3-8B-GGUF/Qwen3-8B-F16-00002-of-00002.gguf")).toHaveLength(2);
    });

    it("never picks a vision projector, and says what is available when the request matches nothing", () => {
        expect(() => select("u/r", [file("mmproj-x-F16.gguf")])).toThrow(/no GGUF model files/);
        expect(() => select("Qwen/Qwen3-8B-GGUF@IQ2_XS")).toThrow(/Available: .*Q4_K_M/);
        expect(() => select("Qwen/Qwen3-8B-GGUF/nope.gguf")).toThrow(/no file nope\.gguf/);
    });
});
