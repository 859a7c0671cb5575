/**
 * Seeded random tensor contents. Values are drawn from a small precomputed pool so that writing a few hundred
 * megabytes of F16 stays fast; the model's output is gibberish either way.
 */
import { GgmlType, type GgmlTypeId, type TensorSpec } from "./GgufWriter.js";

export function createRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

export function float32ToFloat16Bits(value: number): number {
    f32Scratch[0] = value;
    const bits = u32Scratch[0]!;
    const sign = (bits >>> 16) & 0x8000;
    const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
    const mantissa = bits & 0x7fffff;
    if (exponent <= 0) return sign;
    if (exponent >= 31) return sign | 0x7c00;
    return sign | (exponent << 10) | (mantissa >>> 13);
}

const poolSize = 4096;

/** Called for every row; `set(column, value)` overwrites one value of that row. */
export type RowAdjuster = (row: number, set: (column: number, value: number) => void) => void;

function adjustRows(target: Buffer, type: GgmlTypeId, rowLength: number, adjustRow: RowAdjuster): void {
    const f32 = type === GgmlType.F32 ? new Float32Array(target.buffer, target.byteOffset, target.length / 4) : null;
    const f16 = type === GgmlType.F16 ? new Uint16Array(target.buffer, target.byteOffset, target.length / 2) : null;
    const rows = (f32 ?? f16)!.length / rowLength;
    for (let row = 0; row < rows; row++) {
        adjustRow(row, (column, value) => {
            const index = row * rowLength + column;
            if (f32) f32[index] = value;
            else f16![index] = float32ToFloat16Bits(value);
        });
    }
}

export class RandomWeights {
    private readonly random: () => number;

    constructor(seed: number) {
        this.random = createRandom(seed);
    }

    /**
     * A tensor of uniform values in [-scale, scale]; `adjustRow(row, set)` may then overwrite values of chosen
     * rows (a row is dims[0] contiguous values).
     */
    tensor(name: string, dims: number[], type: GgmlTypeId, scale: number, adjustRow?: RowAdjuster): TensorSpec {
        return {
            name, dims, type,
            fill: (target) => {
                this.fillUniform(target, type, scale);
                if (adjustRow) adjustRows(target, type, dims[0]!, adjustRow);
            }
        };
    }

    /** A tensor with every element equal to `value` (norm weights, biases). */
    constant(name: string, dims: number[], value: number): TensorSpec {
        return {
            name, dims, type: GgmlType.F32,
            fill: (target) => new Float32Array(target.buffer, target.byteOffset, target.length / 4).fill(value)
        };
    }

    private fillUniform(target: Buffer, type: GgmlTypeId, scale: number): void {
        const pool = Array.from({ length: poolSize }, () => (this.random() * 2 - 1) * scale);
        const pick = () => Math.floor(this.random() * poolSize);
        if (type === GgmlType.F32) {
            const values = new Float32Array(target.buffer, target.byteOffset, target.length / 4);
            for (let i = 0; i < values.length; i++) values[i] = pool[pick()]!;
            return;
        }
        const halfPool = Uint16Array.from(pool, float32ToFloat16Bits);
        const values = new Uint16Array(target.buffer, target.byteOffset, target.length / 2);
        // One random draw per element would dominate the time for large fixtures; a random walk over the pool
        // with a random stride per row keeps neighbouring weights different and costs one draw per 64 values.
        let index = pick();
        let stride = 1 + pick();
        for (let i = 0; i < values.length; i++) {
            if ((i & 63) === 0) {
                index = pick();
                stride = 1 + pick();
            }
            index = (index + stride) & (poolSize - 1);
            values[i] = halfPool[index]!;
        }
    }
}
