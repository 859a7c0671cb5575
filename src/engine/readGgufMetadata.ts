/**
 * Reads the key-values of a GGUF file's header that a caller asks for, checking every count and length against the
 * bytes the file still has. node-llama-cpp's reader trusts the counts (a 24-byte file claiming 2^63 key-values, or
 * an array claiming 2^40 strings, kept it reading and allocating forever and stalled the server), and it reads at
 * least 4 MB into a fresh zero-filled buffer per header (6 ms for a 400 KB file), which a catalog of thousands of
 * files pays on every first scan. Here reads go through one window that never passes the file's end, values not
 * asked for are skipped, and the walk ends in time proportional to the header.
 */
import { open, type FileHandle } from "node:fs/promises";

export class MalformedGguf extends Error {}

export type GgufMetadataValue = number | boolean | string | number[] | boolean[] | string[];

/** Bytes each GGUF metadata value type takes; strings and arrays are variable. */
const scalarSizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const stringType = 8;
const arrayType = 9;
/** The least a tensor description takes: name length, dimension count, one dimension, type, offset. */
const minimalTensorInfo = 8 + 4 + 8 + 4 + 8;
/** The least a key-value takes: key length, value type, a one-byte value. */
const minimalKeyValue = 8 + 4 + 1;
const windowBytes = 1 << 20;

class BoundedReader {
    private window = Buffer.alloc(0);
    private windowStart = 0;
    position = 0;

    constructor(private readonly file: FileHandle, readonly size: number, private readonly signal: AbortSignal | undefined) {}

    get remaining(): number {
        return this.size - this.position;
    }

    /** Whether the next `bytes` bytes are in the window already (then the synchronous reads below may be used). */
    has(bytes: number): boolean {
        return this.position >= this.windowStart && this.position + bytes <= this.windowStart + this.window.length;
    }

    async fill(bytes: number): Promise<void> {
        if (bytes > this.remaining) throw new MalformedGguf(`the header runs past the end of the file (at byte ${this.position} of ${this.size})`);
        if (this.has(bytes)) return;
        this.signal?.throwIfAborted();
        const length = Math.min(Math.max(bytes, windowBytes), this.remaining);
        const window = Buffer.allocUnsafe(length);
        const { bytesRead } = await this.file.read(window, 0, length, this.position);
        if (bytesRead < bytes) throw new MalformedGguf("the file ended while its header was read");
        this.window = window.subarray(0, bytesRead);
        this.windowStart = this.position;
    }

    /** The next `bytes` bytes; only after has(bytes) or fill(bytes). */
    take(bytes: number): Buffer {
        const offset = this.position - this.windowStart;
        this.position += bytes;
        return this.window.subarray(offset, offset + bytes);
    }

    async u32(): Promise<number> {
        await this.fill(4);
        return this.take(4).readUInt32LE(0);
    }

    /** A u64 count or length, refused when it is more than `unit`-sized items the rest of the file could hold. */
    takeCount(unit: number, what: string): number {
        const bytes = this.take(8);
        const value = bytes.readUInt32LE(4) * 2 ** 32 + bytes.readUInt32LE(0);
        if (value * unit > this.remaining) {
            throw new MalformedGguf(`it claims ${bytes.readBigUInt64LE(0)} ${what}, more than the ${this.remaining} bytes left in the file can hold`);
        }
        return value;
    }

    async count(unit: number, what: string): Promise<number> {
        await this.fill(8);
        return this.takeCount(unit, what);
    }

    skip(bytes: number): void {
        if (bytes > this.remaining) throw new MalformedGguf(`the header runs past the end of the file (at byte ${this.position} of ${this.size})`);
        this.position += bytes;
    }

    async string(what: string): Promise<string> {
        const length = await this.count(1, `bytes of ${what}`);
        await this.fill(length);
        return this.take(length).toString("utf8");
    }
}

function scalarAt(bytes: Buffer, type: number): number | boolean {
    switch (type) {
        case 0: return bytes.readUInt8(0);
        case 1: return bytes.readInt8(0);
        case 2: return bytes.readUInt16LE(0);
        case 3: return bytes.readInt16LE(0);
        case 4: return bytes.readUInt32LE(0);
        case 5: return bytes.readInt32LE(0);
        case 6: return bytes.readFloatLE(0);
        case 7: return bytes.readUInt8(0) !== 0;
        case 10: return Number(bytes.readBigUInt64LE(0));
        case 11: return Number(bytes.readBigInt64LE(0));
        default: return bytes.readDoubleLE(0);
    }
}

/** Reads (or, when `keep` is false, skips) one value of `type`; strings of string arrays in a tight loop. */
async function readValue(reader: BoundedReader, type: number, key: string, keep: boolean): Promise<GgufMetadataValue | undefined> {
    if (type === stringType) {
        const length = await reader.count(1, `bytes of ${key}`);
        if (!keep) return void reader.skip(length);
        await reader.fill(length);
        return reader.take(length).toString("utf8");
    }
    if (type === arrayType) {
        const itemType = await reader.u32();
        if (itemType === arrayType) throw new MalformedGguf(`${key} is an array of arrays`);
        if (itemType === stringType) {
            const items = await reader.count(8, `strings in ${key}`);
            const strings: string[] = [];
            for (let item = 0; item < items; item++) {
                if (!reader.has(8)) await reader.fill(8);
                const length = reader.takeCount(1, `bytes of a string of ${key}`);
                if (!keep) {
                    reader.skip(length);
                    continue;
                }
                if (!reader.has(length)) await reader.fill(length);
                strings.push(reader.take(length).toString("utf8"));
            }
            return keep ? strings : undefined;
        }
        const size = scalarSizes[itemType];
        if (size === undefined) throw new MalformedGguf(`${key} has an array of unknown type ${itemType}`);
        const items = await reader.count(size, `items in ${key}`);
        if (!keep) return void reader.skip(items * size);
        const values: Array<number | boolean> = [];
        for (let item = 0; item < items; item++) {
            if (!reader.has(size)) await reader.fill(size);
            values.push(scalarAt(reader.take(size), itemType));
        }
        return values as number[] | boolean[];
    }
    const size = scalarSizes[type];
    if (size === undefined) throw new MalformedGguf(`${key} has unknown type ${type}`);
    if (!keep) return void reader.skip(size);
    await reader.fill(size);
    return scalarAt(reader.take(size), type);
}

/**
 * The header's key-values for which `wanted(key)` is true. Throws MalformedGguf when the file is not GGUF or a count
 * or length in its header is more than the file holds, and the signal's reason once `signal` aborts.
 */
export async function readGgufMetadata(
    path: string, wanted: (key: string) => boolean, signal?: AbortSignal
): Promise<Map<string, GgufMetadataValue>> {
    signal?.throwIfAborted();
    const file = await open(path, "r");
    try {
        const reader = new BoundedReader(file, (await file.stat()).size, signal);
        if (await reader.u32() !== 0x46554747) throw new MalformedGguf("it does not start with GGUF");
        const version = await reader.u32();
        if (version < 2 || version > 3) throw new MalformedGguf(`it is GGUF version ${version}; versions 2 and 3 are read`);
        const tensors = await reader.count(minimalTensorInfo, "tensors");
        const keyValues = await reader.count(minimalKeyValue, "key-values");
        const metadata = new Map<string, GgufMetadataValue>();
        for (let index = 0; index < keyValues; index++) {
            const key = await reader.string(`key ${index}`);
            const keep = wanted(key);
            const value = await readValue(reader, await reader.u32(), key, keep);
            if (keep && value !== undefined) metadata.set(key, value);
        }
        if (tensors * minimalTensorInfo > reader.remaining) {
            throw new MalformedGguf(`it claims ${tensors} tensors, more than the ${reader.remaining} bytes left in the file can hold`);
        }
        return metadata;
    } finally {
        await file.close();
    }
}
