/**
 * Reads what the catalog needs from a GGUF file's header, without loading weights.
 */
import { GgufFileType } from "node-llama-cpp";
import { readGgufMetadata } from "./readGgufMetadata.js";

export type ModelHeader = {
    architecture: string;
    name: string | null;
    /** `general.size_label`, e.g. "8B". */
    sizeLabel: string | null;
    /** Quantization as LM Studio names it: `Q4_K_M`, `F16`, ... */
    quantization: string | null;
    trainedContextLength: number | null;
    /** Width of the hidden state: an embedding model's vector length. */
    embeddingLength: number | null;
    /** `<arch>.pooling_type`: set (and not 0, "none") on embedding models. */
    poolingType: number | null;
    chatTemplate: string | null;
    bosToken: string | null;
    eosToken: string | null;
    /** `split.count` when the file is the first of several parts. */
    splitCount: number | null;
};

/** The keys read; `<architecture>.` keys are matched by their suffix, since the architecture comes with the file. */
const wantedKeys = new Set([
    "general.architecture", "general.name", "general.size_label", "general.file_type", "tokenizer.chat_template",
    "tokenizer.ggml.tokens", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "split.count"
]);
const wantedSuffixes = [".context_length", ".embedding_length", ".pooling_type"];
const isWanted = (key: string) => wantedKeys.has(key) || wantedSuffixes.some((suffix) => key.endsWith(suffix) && key.indexOf(".") === key.length - suffix.length);

export function quantizationName(fileType: number | undefined): string | null {
    if (fileType === undefined) return null;
    const name = GgufFileType[fileType];
    return name === undefined ? null : name.replace(/^(MOSTLY|ALL)_/, "");
}

const asNumber = (value: unknown) => (typeof value === "number" ? value : null);
const asString = (value: unknown) => (typeof value === "string" ? value : null);

/** Reads the header of the GGUF file at `path`; rejects with the signal's reason once `signal` aborts. */
export async function readModelHeader(path: string, signal?: AbortSignal): Promise<ModelHeader> {
    const metadata = await readGgufMetadata(path, isWanted, signal);
    const architecture = asString(metadata.get("general.architecture"));
    if (architecture === null) throw new Error("the GGUF header has no general.architecture");
    const tokens = metadata.get("tokenizer.ggml.tokens");
    const tokenAt = (key: string) => {
        const id = asNumber(metadata.get(`tokenizer.ggml.${key}`));
        return id !== null && Array.isArray(tokens) ? asString(tokens[id]) : null;
    };
    return {
        architecture,
        name: asString(metadata.get("general.name")),
        sizeLabel: asString(metadata.get("general.size_label")),
        quantization: quantizationName(asNumber(metadata.get("general.file_type")) ?? undefined),
        trainedContextLength: asNumber(metadata.get(`${architecture}.context_length`)),
        embeddingLength: asNumber(metadata.get(`${architecture}.embedding_length`)),
        poolingType: asNumber(metadata.get(`${architecture}.pooling_type`)),
        chatTemplate: asString(metadata.get("tokenizer.chat_template")),
        bosToken: tokenAt("bos_token_id"),
        eosToken: tokenAt("eos_token_id"),
        splitCount: asNumber(metadata.get("split.count"))
    };
}
