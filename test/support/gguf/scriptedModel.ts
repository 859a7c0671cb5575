/**
 * "Scripted" GGUF models: tiny llama-architecture models whose greedy output is a chosen text, whatever the
 * prompt, written with a model family's real special tokens (typed control or user-defined as in the real GGUF)
 * and its real chat template. They let tests check what lmhost makes of exactly what a real family writes.
 *
 * How the weights do it (one transformer block, F32):
 * - Every output piece is a vocabulary entry of its own (text pieces of two or more characters the tokenizer can
 *   never produce, so prompts never contain them) or a family special token. Each piece has a one-hot dimension
 *   in the residual stream; every token also carries a constant "bias" dimension.
 * - The output matrix maps the current piece to the next one with a large logit; any other token (the prompt's
 *   last one) maps to the first piece; the last piece is followed by the family's end token.
 * - A piece used more than once (gpt-oss's `<|channel|>`, a second `<tool_call>`) needs context: attention heads
 *   each look for one "marker" (a unique text piece earlier in the script) and raise a flag once it has been
 *   seen; their rotary embedding turns by a negligible angle, so this ignores positions. The script's
 *   phase is the number of markers seen. Feed-forward units fire for (piece, phase) pairs, and the output reads
 *   the next piece from those units instead of from the piece alone.
 */
import { bytesToUnicode } from "./bpeVocabulary.js";
import { llamaHyperparameters } from "./fixtureModels.js";
import { GgmlType, writeGguf, type GgufValue, type TensorSpec } from "./GgufWriter.js";

export type SpecialTokenType = "control" | "user";

export type ScriptedModelSpec = {
    name: string;
    chatTemplate: string;
    /** The family's special tokens, as typed in its real GGUF: text -> control or user-defined. */
    specialTokens: Record<string, SpecialTokenType>;
    bos: string | null;
    eos: string;
    /** What the model writes, special tokens inline. Its last piece must be a special token that ends the turn. */
    script: string;
    /** Extra header keys (`tokenizer.ggml.eot_token_id` ...), by token text for ids. */
    extraTokenIds?: Record<string, string>;
};

type Piece = { text: string; special: boolean };

const tokenTypeId = { normal: 1, control: 3, user: 4 } as const;
const embedding = 256;
const heads = 8;
const headDimension = embedding / heads;
const feedForward = 128;
/** Residual values: the bias dimension, a piece's one-hot, a marker flag, a (piece, phase) unit's output. */
const biasValue = 10;
const pieceValue = 1;
const flagValue = 1;
const unitValue = 1;
const attentionScore = 30;
const gateGain = 20;
const nextLogit = 30;
const firstLogit = 5;

/** Splits the script at special tokens, and its text into pieces of two to four characters. */
export function scriptPieces(script: string, specials: string[]): Piece[] {
    const bySize = [...specials].sort((a, b) => b.length - a.length);
    const pieces: Piece[] = [];
    let text = "";
    const flushText = () => {
        // Whitespace joins the word after it, as in real BPE vocabularies (" word", "\n\nThe").
        const parts = text.match(/\s*[^\s]{1,4}|\s+/gu) ?? [];
        // No single-character pieces where avoidable: those are byte tokens that prompts contain.
        const merged: string[] = [];
        for (const part of parts) {
            const last = merged[merged.length - 1];
            if (last !== undefined && ([...last].length < 2 || [...part].length < 2)) merged[merged.length - 1] = last + part;
            else merged.push(part);
        }
        for (const part of merged) pieces.push({ text: part, special: false });
        text = "";
    };
    for (let i = 0; i < script.length;) {
        const special = bySize.find((candidate) => script.startsWith(candidate, i));
        if (special !== undefined) {
            flushText();
            pieces.push({ text: special, special: true });
            i += special.length;
        } else {
            text += script[i];
            i++;
        }
    }
    flushText();
    return pieces;
}

type Sparse = Map<number, Map<number, number>>;

function sparseTensor(name: string, dims: [number, number] | [number], entries: Sparse): TensorSpec {
    return {
        name, dims, type: GgmlType.F32,
        fill: (target) => {
            const values = new Float32Array(target.buffer, target.byteOffset, target.length / 4);
            values.fill(0);
            const rowLength = dims[0];
            for (const [row, columns] of entries) for (const [column, value] of columns) values[row * rowLength + column] = value;
        }
    };
}

function put(entries: Sparse, row: number, column: number, value: number): void {
    let columns = entries.get(row);
    if (columns === undefined) entries.set(row, columns = new Map());
    columns.set(column, (columns.get(column) ?? 0) + value);
}

export async function writeScriptedModel(path: string, spec: ScriptedModelSpec): Promise<{ pieces: string[] }> {
    const byteChars = bytesToUnicode();
    const toByteLevel = (text: string) => Array.from(new TextEncoder().encode(text), (byte) => byteChars[byte]!).join("");
    const tokens: string[] = [];
    const types: number[] = [];
    const idOf = new Map<string, number>();
    const addToken = (stored: string, type: number) => {
        idOf.set(stored, tokens.length);
        tokens.push(stored);
        types.push(type);
    };
    for (const [text, type] of Object.entries(spec.specialTokens)) addToken(text, tokenTypeId[type]);
    for (const character of byteChars) addToken(character, tokenTypeId.normal);
    // llama.cpp's BPE wants at least one merge; this one (two NUL bytes) never matters.
    const merge = `${byteChars[0]} ${byteChars[0]}`;
    addToken(byteChars[0]! + byteChars[0]!, tokenTypeId.normal);

    const pieces = scriptPieces(spec.script, Object.keys(spec.specialTokens));
    const last = pieces[pieces.length - 1];
    if (last === undefined || !last.special) throw new Error(`the script of ${spec.name} must end with a special token`);
    const pieceIds = pieces.map((piece) => {
        const stored = piece.special ? piece.text : toByteLevel(piece.text);
        const known = idOf.get(stored);
        if (known !== undefined) return known;
        addToken(stored, tokenTypeId.normal);
        return tokens.length - 1;
    });

    // Residual layout: 0 bias, then one dimension per distinct piece, one flag per marker, one per unit.
    let nextDimension = 1;
    const pieceDimension = new Map<number, number>();
    for (const id of pieceIds) if (!pieceDimension.has(id)) pieceDimension.set(id, nextDimension++);
    const uses = new Map<number, number>();
    for (const id of pieceIds.slice(0, -1)) uses.set(id, (uses.get(id) ?? 0) + 1);
    // A piece needs its phase when it is used more than once, or when prompts contain it too (byte tokens).
    const ambiguous = (index: number) => (uses.get(pieceIds[index]!) ?? 0) > 1 || [...pieces[index]!.text].length < 2;
    const markerCandidate = (index: number) => !pieces[index]!.special && (uses.get(pieceIds[index]!) ?? 0) === 1 && [...pieces[index]!.text].length >= 2;

    // Markers: stab every interval between two uses of one piece (and the start of the script for pieces
    // prompts contain) with the latest unique text piece before its end.
    const intervals: Array<[number, number]> = [];
    const lastUse = new Map<number, number>();
    pieceIds.slice(0, -1).forEach((id, index) => {
        if (!ambiguous(index)) return;
        const previous = lastUse.get(id);
        // A byte token's first use needs a marker before it too: the prompt holds it at phase 0.
        if (previous !== undefined || [...pieces[index]!.text].length < 2) intervals.push([previous ?? -1, index]);
        lastUse.set(id, index);
    });
    intervals.sort((a, b) => a[1] - b[1]);
    const markers: number[] = [];
    for (const [from, to] of intervals) {
        if (markers.some((marker) => marker > from && marker <= to)) continue;
        let chosen = -1;
        for (let index = to; index > from; index--) if (markerCandidate(index)) { chosen = index; break; }
        if (chosen === -1) {
            // A byte token before any unique text: direct, which is right unless the prompt ends with that byte.
            if (from === -1) continue;
            throw new Error(`script of ${spec.name}: no unique text piece separates the uses of "${pieces[to]!.text}"`);
        }
        markers.push(chosen);
    }
    markers.sort((a, b) => a - b);
    if (markers.length > heads) throw new Error(`script of ${spec.name} needs ${markers.length} markers; at most ${heads} fit`);
    const flagDimension = markers.map(() => nextDimension++);
    const phaseAt = (index: number) => markers.filter((marker) => marker <= index).length;

    const embeddings: Sparse = new Map();
    const queries: Sparse = new Map();
    const keys: Sparse = new Map();
    const values: Sparse = new Map();
    const attentionOutput: Sparse = new Map();
    const gates: Sparse = new Map();
    const ups: Sparse = new Map();
    const downs: Sparse = new Map();
    const output: Sparse = new Map();
    for (let id = 0; id < tokens.length; id++) put(embeddings, id, 0, biasValue);
    for (const [id, dimension] of pieceDimension) put(embeddings, id, dimension, pieceValue);

    // RMS norm scales every value by about sqrt(embedding) / |x|; |x| is dominated by the bias dimension.
    const normScale = Math.sqrt(embedding / (biasValue ** 2 + pieceValue ** 2));
    const normalizedBias = biasValue * normScale;
    const normalizedPiece = pieceValue * normScale;
    markers.forEach((markerIndex, head) => {
        // Rotary embedding turns a head's last pair of dimensions by position x base^(-(d-2)/d): with the huge
        // base below, not at all, so the marker is found wherever it is.
        const queryRow = head * headDimension + headDimension - 2;
        put(queries, queryRow, 0, attentionScore * Math.sqrt(headDimension) / normalizedBias);
        put(keys, queryRow, pieceDimension.get(pieceIds[markerIndex]!)!, 1 / normalizedPiece);
        put(values, head * headDimension, pieceDimension.get(pieceIds[markerIndex]!)!, 1 / normalizedPiece);
        put(attentionOutput, flagDimension[head]!, head * headDimension, flagValue);
    });

    let units = 0;
    pieceIds.forEach((id, index) => {
        if (index === pieceIds.length - 1) return;
        const next = pieceIds[index + 1]!;
        if (!ambiguous(index)) {
            put(output, next, pieceDimension.get(id)!, nextLogit / normalizedPiece);
            return;
        }
        // A unit for (this piece, this phase): piece present, the phase's flag set, the next phase's not.
        const unit = units++;
        if (unit >= feedForward) throw new Error(`script of ${spec.name} needs more than ${feedForward} feed-forward units`);
        const phase = phaseAt(index);
        const unitDimension = nextDimension++;
        put(gates, unit, pieceDimension.get(id)!, gateGain / normalizedPiece);
        if (phase > 0) put(gates, unit, flagDimension[phase - 1]!, gateGain / normalizedPiece);
        if (phase < markers.length) put(gates, unit, flagDimension[phase]!, -gateGain / normalizedPiece);
        put(gates, unit, 0, -(phase > 0 ? 1.5 : 0.5) * gateGain / normalizedBias);
        put(ups, unit, 0, 1 / normalizedBias);
        // The gate's output is about gateGain / 2 when the unit fires.
        put(downs, unitDimension, unit, unitValue / (gateGain / 2));
        put(output, next, unitDimension, nextLogit / (unitValue * normScale));
    });
    put(output, pieceIds[0]!, 0, firstLogit / normalizedBias);
    if (nextDimension > embedding) throw new Error(`script of ${spec.name} needs ${nextDimension} dimensions; ${embedding} fit`);

    const vocabulary = tokens.length;
    const tokenId = (text: string) => {
        const id = idOf.get(text);
        if (id === undefined) throw new Error(`${spec.name}: "${text}" is not a special token of the model`);
        return id;
    };
    const metadata: Record<string, GgufValue> = {
        "general.architecture": { type: "string", value: "llama" },
        "general.name": { type: "string", value: spec.name },
        "general.file_type": { type: "u32", value: 0 },
        ...llamaHyperparameters({ contextLength: 8192, embedding, layers: 1, feedForward, heads, ropeBase: 1e30, vocabulary }),
        "tokenizer.ggml.tokens": { type: "string[]", value: tokens },
        "tokenizer.ggml.token_type": { type: "i32[]", value: types },
        "tokenizer.ggml.merges": { type: "string[]", value: [merge] },
        "tokenizer.ggml.eos_token_id": { type: "u32", value: tokenId(spec.eos) },
        "tokenizer.ggml.add_bos_token": { type: "bool", value: false },
        "tokenizer.chat_template": { type: "string", value: spec.chatTemplate }
    };
    if (spec.bos !== null) metadata["tokenizer.ggml.bos_token_id"] = { type: "u32", value: tokenId(spec.bos) };
    for (const [key, text] of Object.entries(spec.extraTokenIds ?? {})) metadata[key] = { type: "u32", value: tokenId(text) };

    const layerNorm = (name: string): TensorSpec => ({
        name, dims: [embedding], type: GgmlType.F32,
        fill: (target) => new Float32Array(target.buffer, target.byteOffset, target.length / 4).fill(1)
    });
    const tensors: TensorSpec[] = [
        sparseTensor("token_embd.weight", [embedding, vocabulary], embeddings),
        layerNorm("output_norm.weight"),
        sparseTensor("output.weight", [embedding, vocabulary], output),
        layerNorm("blk.0.attn_norm.weight"),
        sparseTensor("blk.0.attn_q.weight", [embedding, embedding], queries),
        sparseTensor("blk.0.attn_k.weight", [embedding, embedding], keys),
        sparseTensor("blk.0.attn_v.weight", [embedding, embedding], values),
        sparseTensor("blk.0.attn_output.weight", [embedding, embedding], attentionOutput),
        layerNorm("blk.0.ffn_norm.weight"),
        sparseTensor("blk.0.ffn_gate.weight", [embedding, feedForward], gates),
        sparseTensor("blk.0.ffn_up.weight", [embedding, feedForward], ups),
        sparseTensor("blk.0.ffn_down.weight", [feedForward, embedding], downs)
    ];
    await writeGguf(path, metadata, tensors);
    return { pieces: pieces.map((piece) => piece.text) };
}
