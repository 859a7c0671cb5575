/**
 * Walks a GGUF file's metadata structure without keeping it, checking every count and length against the bytes the
 * file still has, before node-llama-cpp's reader sees it: its reader trusts them, so a 24-byte file claiming 2^63
 * key-values, or an array claiming 2^40 strings, kept it reading (and allocating) forever and stalled the server.
 * Reads are buffered and never go past the file's end, so the walk ends in time proportional to the file.
 */
import { open, type FileHandle } from "node:fs/promises";

export class MalformedGguf extends Error {}

/** Bytes each GGUF metadata value type takes; strings and arrays are variable. */
const scalarSizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const stringType = 8;
const arrayType = 9;
/** The least a tensor description takes: name length, dimension count, one dimension, type, offset. */
const minimalTensorInfo = 8 + 4 + 8 + 4 + 8;
/** The least a key-value takes: key length, value type, a one-byte value. */
const minimalKeyValue = 8 + 4 + 1;

class BoundedReader {
    private buffer = Buffer.alloc(0);
    private bufferStart = 0;
    position = 0;

    constructor(private readonly file: FileHandle, readonly size: number) {}

    get remaining(): number {
        return this.size - this.position;
    }

    private async ensure(bytes: number): Promise<void> {
        if (bytes > this.remaining) throw new MalformedGguf(`the header runs past the end of the file (at byte ${this.position} of ${this.size})`);
        const end = this.position + bytes;
        if (this.position >= this.bufferStart && end <= this.bufferStart + this.buffer.length) return;
        const length = Math.min(Math.max(bytes, 1 << 20), this.size - this.position);
        this.buffer = Buffer.alloc(length);
        const { bytesRead } = await this.file.read(this.buffer, 0, length, this.position);
        this.buffer = this.buffer.subarray(0, bytesRead);
        this.bufferStart = this.position;
        if (bytesRead < bytes) throw new MalformedGguf("the file ended while its header was read");
    }

    private async view(bytes: number): Promise<Buffer> {
        await this.ensure(bytes);
        const offset = this.position - this.bufferStart;
        this.position += bytes;
        return this.buffer.subarray(offset, offset + bytes);
    }

    async u32(): Promise<number> {
        return (await this.view(4)).readUInt32LE(0);
    }

    /** A u64 count or length, refused when it is more than `unit`-sized items the rest of the file could hold. */
    async count(unit: number, what: string): Promise<number> {
        const value = (await this.view(8)).readBigUInt64LE(0);
        if (value * BigInt(unit) > BigInt(this.remaining)) {
            throw new MalformedGguf(`it claims ${value} ${what}, more than the ${this.remaining} bytes left in the file can hold`);
        }
        return Number(value);
    }

    skip(bytes: number): void {
        if (bytes > this.remaining) throw new MalformedGguf(`the header runs past the end of the file (at byte ${this.position} of ${this.size})`);
        this.position += bytes;
    }

    async skipString(what: string): Promise<void> {
        this.skip(await this.count(1, `bytes of ${what}`));
    }
}

async function skipValue(reader: BoundedReader, type: number, key: number): Promise<void> {
    if (type === stringType) return reader.skipString(`key-value ${key}'s string`);
    if (type === arrayType) {
        const itemType = await reader.u32();
        if (itemType === arrayType) throw new MalformedGguf(`key-value ${key} is an array of arrays`);
        if (itemType === stringType) {
            const items = await reader.count(8, `strings in key-value ${key}`);
            for (let item = 0; item < items; item++) await reader.skipString(`a string of key-value ${key}`);
            return;
        }
        const size = scalarSizes[itemType];
        if (size === undefined) throw new MalformedGguf(`key-value ${key} has an array of unknown type ${itemType}`);
        reader.skip(await reader.count(size, `items in key-value ${key}`) * size);
        return;
    }
    const size = scalarSizes[type];
    if (size === undefined) throw new MalformedGguf(`key-value ${key} has unknown type ${type}`);
    reader.skip(size);
}

/** Throws MalformedGguf when a count or length in the file's header is more than the file holds. */
export async function checkGgufBounds(path: string): Promise<void> {
    const file = await open(path, "r");
    try {
        const reader = new BoundedReader(file, (await file.stat()).size);
        const magic = await reader.u32();
        if (magic !== 0x46554747) throw new MalformedGguf("it does not start with GGUF");
        const version = await reader.u32();
        if (version < 2 || version > 3) throw new MalformedGguf(`it is GGUF version ${version}; versions 2 and 3 are read`);
        const tensors = await reader.count(minimalTensorInfo, "tensors");
        const keyValues = await reader.count(minimalKeyValue, "key-values");
        for (let key = 0; key < keyValues; key++) {
            await reader.skipString(`key ${key}`);
            await skipValue(reader, await reader.u32(), key);
        }
        if (tensors * minimalTensorInfo > reader.remaining) {
            throw new MalformedGguf(`it claims ${tensors} tensors, more than the ${reader.remaining} bytes left in the file can hold`);
        }
    } finally {
        await file.close();
    }
}
