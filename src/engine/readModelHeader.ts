/**
 * Reads what the catalog needs from a GGUF file's header, without loading weights.
 */
import { GgufFileType, readGgufFileInfo } from "node-llama-cpp";
import { checkGgufBounds } from "./checkGgufBounds.js";

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

/** Keys whose values are large and unused here. */
const skippedKeys = ["tokenizer.ggml.merges", "tokenizer.ggml.token_type", "tokenizer.ggml.scores", "tokenizer.ggml.precompiled_charsmap"];

export function quantizationName(fileType: number | undefined): string | null {
    if (fileType === undefined) return null;
    const name = GgufFileType[fileType];
    return name === undefined ? null : name.replace(/^(MOSTLY|ALL)_/, "");
}

type UnknownRecord = Record<string, unknown>;

function pick(object: unknown, path: string[]): unknown {
    let current = object;
    for (const key of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as UnknownRecord)[key];
    }
    return current;
}

const asNumber = (value: unknown) => (typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : null);
const asString = (value: unknown) => (typeof value === "string" ? value : null);

export async function readModelHeader(path: string): Promise<ModelHeader> {
    // node-llama-cpp's reader trusts the header's counts; a file that lies about them must not reach it.
    await checkGgufBounds(path);
    const info = await readGgufFileInfo(path, {
        readTensorInfo: false, sourceType: "filesystem", ignoreKeys: skippedKeys, logWarnings: false, spliceSplitFiles: false
    });
    const metadata = info.metadata as unknown as UnknownRecord;
    const architecture = asString(pick(metadata, ["general", "architecture"]));
    if (architecture === null) throw new Error("the GGUF header has no general.architecture");
    const tokens = pick(metadata, ["tokenizer", "ggml", "tokens"]);
    const tokenAt = (key: string) => {
        const id = asNumber(pick(metadata, ["tokenizer", "ggml", key]));
        return id !== null && Array.isArray(tokens) ? asString(tokens[id]) : null;
    };
    return {
        architecture,
        name: asString(pick(metadata, ["general", "name"])),
        sizeLabel: asString(pick(metadata, ["general", "size_label"])),
        quantization: quantizationName(asNumber(pick(metadata, ["general", "file_type"])) ?? undefined),
        trainedContextLength: asNumber(pick(metadata, [architecture, "context_length"])),
        embeddingLength: asNumber(pick(metadata, [architecture, "embedding_length"])),
        poolingType: asNumber(pick(metadata, [architecture, "pooling_type"])),
        chatTemplate: asString(pick(metadata, ["tokenizer", "chat_template"])),
        bosToken: tokenAt("bos_token_id"),
        eosToken: tokenAt("eos_token_id"),
        splitCount: asNumber(pick(metadata, ["split", "count"]))
    };
}
