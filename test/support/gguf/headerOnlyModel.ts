/**
 * GGUF files with a realistic header and no tensors: enough for the catalog, which never loads weights.
 */
import { writeGguf, type GgufValue } from "./GgufWriter.js";

export type HeaderOnlyOptions = {
    architecture?: string;
    fileType?: number;
    contextLength?: number;
    poolingType?: number;
    split?: { index: number; count: number };
};

export async function writeHeaderOnlyModel(path: string, options: HeaderOnlyOptions = {}): Promise<void> {
    const architecture = options.architecture ?? "llama";
    const metadata: Record<string, GgufValue> = {
        "general.architecture": { type: "string", value: architecture },
        "general.name": { type: "string", value: "Header Only" }
    };
    if (options.fileType !== undefined) metadata["general.file_type"] = { type: "u32", value: options.fileType };
    if (options.contextLength !== undefined) metadata[`${architecture}.context_length`] = { type: "u32", value: options.contextLength };
    if (options.poolingType !== undefined) metadata[`${architecture}.pooling_type`] = { type: "u32", value: options.poolingType };
    if (options.split) {
        metadata["split.no"] = { type: "u32", value: options.split.index };
        metadata["split.count"] = { type: "u32", value: options.split.count };
    }
    await writeGguf(path, metadata, []);
}
