/**
 * Writes GGUF v3 files: metadata key/values, tensor infos, then aligned tensor data.
 * Only what the test fixtures need; tensor data comes from a callback so large models stream to disk
 * without holding every tensor in memory.
 */
import { open } from "node:fs/promises";

export const GgufValueType = {
    UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8,
    ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12
} as const;

export const GgmlType = { F32: 0, F16: 1 } as const;
export type GgmlTypeId = (typeof GgmlType)[keyof typeof GgmlType];

/** A metadata value with its GGUF type spelled out, so numbers are never ambiguous. */
export type GgufValue =
    | { type: "u32" | "i32" | "f32" | "u64"; value: number }
    | { type: "bool"; value: boolean }
    | { type: "string"; value: string }
    | { type: "string[]"; value: string[] }
    | { type: "i32[]" | "f32[]"; value: number[] };

export type TensorSpec = {
    name: string;
    /** GGML order: dims[0] is the contiguous row length. */
    dims: number[];
    type: GgmlTypeId;
    /** Fills the tensor's bytes; called once, in file order. */
    fill(target: Buffer): void;
};

const alignment = 32;

export function tensorByteSize(dims: number[], type: GgmlTypeId): number {
    const elements = dims.reduce((product, dim) => product * dim, 1);
    return type === GgmlType.F32 ? elements * 4 : elements * 2;
}

class ByteSink {
    private chunks: Buffer[] = [];
    length = 0;

    push(buffer: Buffer): void {
        this.chunks.push(buffer);
        this.length += buffer.length;
    }

    u32(value: number): void {
        const buffer = Buffer.alloc(4);
        buffer.writeUInt32LE(value);
        this.push(buffer);
    }

    u64(value: number): void {
        const buffer = Buffer.alloc(8);
        buffer.writeBigUInt64LE(BigInt(value));
        this.push(buffer);
    }

    string(value: string): void {
        const bytes = Buffer.from(value, "utf8");
        this.u64(bytes.length);
        this.push(bytes);
    }

    toBuffer(): Buffer {
        return Buffer.concat(this.chunks);
    }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
    const scalar = (type: number, write: (buffer: Buffer) => void, size: number) => {
        sink.u32(type);
        const buffer = Buffer.alloc(size);
        write(buffer);
        sink.push(buffer);
    };
    switch (value.type) {
        case "u32": return scalar(GgufValueType.UINT32, (b) => b.writeUInt32LE(value.value), 4);
        case "i32": return scalar(GgufValueType.INT32, (b) => b.writeInt32LE(value.value), 4);
        case "f32": return scalar(GgufValueType.FLOAT32, (b) => b.writeFloatLE(value.value), 4);
        case "u64": return scalar(GgufValueType.UINT64, (b) => b.writeBigUInt64LE(BigInt(value.value)), 8);
        case "bool": return scalar(GgufValueType.BOOL, (b) => b.writeUInt8(value.value ? 1 : 0), 1);
        case "string":
            sink.u32(GgufValueType.STRING);
            sink.string(value.value);
            return;
        case "string[]":
            sink.u32(GgufValueType.ARRAY);
            sink.u32(GgufValueType.STRING);
            sink.u64(value.value.length);
            for (const item of value.value) sink.string(item);
            return;
        case "i32[]":
        case "f32[]": {
            const isInt = value.type === "i32[]";
            sink.u32(GgufValueType.ARRAY);
            sink.u32(isInt ? GgufValueType.INT32 : GgufValueType.FLOAT32);
            sink.u64(value.value.length);
            const buffer = Buffer.alloc(value.value.length * 4);
            value.value.forEach((item, index) =>
                isInt ? buffer.writeInt32LE(item, index * 4) : buffer.writeFloatLE(item, index * 4));
            sink.push(buffer);
            return;
        }
    }
}

const padTo = (offset: number) => (alignment - (offset % alignment)) % alignment;

export async function writeGguf(path: string, metadata: Record<string, GgufValue>, tensors: TensorSpec[]): Promise<void> {
    const header = new ByteSink();
    header.push(Buffer.from("GGUF", "ascii"));
    header.u32(3);
    header.u64(tensors.length);
    header.u64(Object.keys(metadata).length);
    for (const [key, value] of Object.entries(metadata)) {
        header.string(key);
        writeValue(header, value);
    }
    let dataOffset = 0;
    for (const tensor of tensors) {
        header.string(tensor.name);
        header.u32(tensor.dims.length);
        for (const dim of tensor.dims) header.u64(dim);
        header.u32(tensor.type);
        header.u64(dataOffset);
        dataOffset += tensorByteSize(tensor.dims, tensor.type);
        dataOffset += padTo(dataOffset);
    }
    header.push(Buffer.alloc(padTo(header.length)));

    const file = await open(path, "w");
    try {
        await file.write(header.toBuffer());
        for (const tensor of tensors) {
            const size = tensorByteSize(tensor.dims, tensor.type);
            const data = Buffer.alloc(size + padTo(size));
            tensor.fill(data.subarray(0, size));
            await file.write(data);
        }
    } finally {
        await file.close();
    }
}
