/** GGUF headers that lie about their sizes, as an attacker or a broken download would write them. */
export function lyingGgufFiles(): Record<string, Buffer> {
    const header = (tensors: bigint, keyValues: bigint, ...rest: Buffer[]) => {
        const start = Buffer.alloc(24);
        start.write("GGUF", 0, "ascii");
        start.writeUInt32LE(3, 4);
        start.writeBigUInt64LE(tensors, 8);
        start.writeBigUInt64LE(keyValues, 16);
        return Buffer.concat([start, ...rest]);
    };
    const u32 = (value: number) => { const buffer = Buffer.alloc(4); buffer.writeUInt32LE(value); return buffer; };
    const u64 = (value: bigint) => { const buffer = Buffer.alloc(8); buffer.writeBigUInt64LE(value); return buffer; };
    const key = Buffer.from("tokenizer.ggml.tokens");
    return {
        "counts-2-63.gguf": header(2n ** 63n, 2n ** 63n),
        "array-2-40.gguf": header(0n, 1n, u64(BigInt(key.length)), key, u32(9), u32(8), u64(2n ** 40n)),
        "string-past-end.gguf": header(0n, 1n, u64(2n ** 50n), key)
    };
}
