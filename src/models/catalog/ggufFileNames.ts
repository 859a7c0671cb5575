/**
 * What a GGUF file's name says: its stem, whether it is one part of a split model, whether it is a vision
 * projector, and the quantization suffix LM Studio strips from ids.
 */

const splitSuffix = /-(\d{5})-of-(\d{5})$/i;
const quantizationSuffix = /[-._](?:ud[-_])?((?:i?q\d+(?:_[a-z0-9]+)*)|(?:b?f16)|(?:fp16)|(?:f32)|(?:fp32)|(?:tq\d_\d)|(?:mxfp4(?:_moe)?))$/i;

export type GgufFileName = {
    /** File name without `.gguf` and without a split suffix. */
    stem: string;
    /** 1-based part number and part count of a split model. */
    split: { part: number; count: number } | null;
    /** `mmproj-*.gguf` and friends: vision projectors, not models. */
    isProjector: boolean;
};

export function isGgufFile(fileName: string): boolean {
    return fileName.toLowerCase().endsWith(".gguf");
}

export function parseGgufFileName(fileName: string): GgufFileName {
    const withoutExtension = fileName.replace(/\.gguf$/i, "");
    const split = splitSuffix.exec(withoutExtension);
    return {
        stem: split ? withoutExtension.slice(0, split.index) : withoutExtension,
        split: split ? { part: Number(split[1]), count: Number(split[2]) } : null,
        isProjector: /^mmproj\b|[-._]mmproj[-._]/i.test(withoutExtension)
    };
}

/** The quantization named at the end of a stem (`Q4_K_M`), upper-cased, or null. */
export function quantizationFromStem(stem: string): string | null {
    return quantizationSuffix.exec(stem)?.[1]?.toUpperCase() ?? null;
}

/** LM Studio's id rule: the lower-cased stem without its quantization suffix; embedding models get `text-embedding-`. */
export function baseModelId(stem: string, type: "llm" | "embeddings" | "reranker"): string {
    const base = stem.replace(quantizationSuffix, "").toLowerCase();
    return type === "embeddings" && !base.startsWith("text-embedding-") ? `text-embedding-${base}` : base;
}
