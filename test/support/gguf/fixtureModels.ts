/**
 * Random-weight GGUF models that llama.cpp loads and runs for real: a llama-architecture chat model with a
 * byte-level BPE tokenizer and a ChatML template, and a BERT embedding model with a WordPiece vocabulary.
 */
import { chatmlTemplate } from "./chatmlTemplate.js";
import { trainBpeVocabulary } from "./bpeVocabulary.js";
import { trainingCorpus } from "./corpus.js";
import { GgmlType, writeGguf, type GgmlTypeId, type GgufValue, type TensorSpec } from "./GgufWriter.js";
import { RandomWeights } from "./randomWeights.js";

/** llama.cpp's `llama_ftype` values for the file types the fixtures claim. */
export const LlamaFileType = { ALL_F32: 0, MOSTLY_F16: 1, MOSTLY_Q8_0: 7, MOSTLY_Q4_K_M: 15, MOSTLY_Q6_K: 18 } as const;

export type ChatModelOptions = {
    /** `general.name`. */
    name: string;
    /** Hidden size. Default 64. */
    embeddingLength?: number;
    /** Transformer blocks. Default 2. */
    layers?: number;
    /** Attention heads. Default 4. */
    heads?: number;
    /** Feed-forward size. Default 4 x embeddingLength. */
    feedForwardLength?: number;
    /** Trained context length written to the header. Default 2048. */
    contextLength?: number;
    /** BPE merges to learn from the corpus. Default 400. */
    mergeCount?: number;
    /** Pad the vocabulary with unused tokens up to this size (to give the output layer a real model's cost). */
    vocabularySize?: number;
    /** Storage type of the weight matrices. Default F16. */
    weightType?: "F32" | "F16";
    /** `general.file_type` to claim; default matches weightType. */
    fileType?: number;
    /**
     * Whether generation can end by itself. "never" (default): the special tokens' output rows are zero, so
     * their logits sit mid-pack and neither greedy nor top-k sampling picks them; runs end only by max_tokens,
     * stop strings or a full context, which keeps test lengths exact on every CPU. "always": every hidden state
     * carries a large constant component that only the end-of-sequence row reads, so the first token is EOS.
     * "random": whatever the random weights say.
     */
    endOfSequence?: "never" | "always" | "random";
    /** `tokenizer.chat_template`; `null` leaves it out. Default: ChatML with Qwen2.5's tool-call convention. */
    chatTemplate?: string | null;
    seed?: number;
    /**
     * Layers from this index on add only `quietScale` of their attention and feed-forward outputs to the residual
     * stream: the first layers then decide most of the output, and a model of just those layers (same seed and
     * shape, whose weights are the same: they are drawn first) drafts well for this one, as a small model of a
     * family drafts for a large one.
     */
    quietLayersFrom?: number;
    quietScale?: number;
};

const specialChatTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/** A llama-architecture model's hyperparameters and its GPT-2 style BPE tokenizer kind, as GGUF keys. */
export function llamaHyperparameters(shape: { contextLength: number; embedding: number; layers: number; feedForward: number; heads: number; ropeBase: number; vocabulary: number }):
    Record<string, GgufValue> {
    return {
        "llama.context_length": { type: "u32", value: shape.contextLength },
        "llama.embedding_length": { type: "u32", value: shape.embedding },
        "llama.block_count": { type: "u32", value: shape.layers },
        "llama.feed_forward_length": { type: "u32", value: shape.feedForward },
        "llama.attention.head_count": { type: "u32", value: shape.heads },
        "llama.attention.head_count_kv": { type: "u32", value: shape.heads },
        "llama.rope.dimension_count": { type: "u32", value: shape.embedding / shape.heads },
        "llama.rope.freq_base": { type: "f32", value: shape.ropeBase },
        "llama.attention.layer_norm_rms_epsilon": { type: "f32", value: 1e-5 },
        "llama.vocab_size": { type: "u32", value: shape.vocabulary },
        "tokenizer.ggml.model": { type: "string", value: "gpt2" },
        "tokenizer.ggml.pre": { type: "string", value: "gpt-2" }
    };
}

export async function writeChatModel(path: string, options: ChatModelOptions): Promise<void> {
    const embedding = options.embeddingLength ?? 64;
    const layers = options.layers ?? 2;
    const heads = options.heads ?? 4;
    const feedForward = options.feedForwardLength ?? embedding * 4;
    const weightType: GgmlTypeId = options.weightType === "F32" ? GgmlType.F32 : GgmlType.F16;
    const { tokens, merges } = trainBpeVocabulary(trainingCorpus, options.mergeCount ?? 400);
    const tokenTypes = tokens.map(() => 1);
    // Padding tokens are ordinary text ("pad123") so that a model generating them still produces text; the
    // tokenizer never emits them (no merges lead there).
    for (let i = tokens.length; i < (options.vocabularySize ?? 0) - specialChatTokens.length; i++) {
        tokens.push(`pad${i}`);
        tokenTypes.push(1);
    }
    const firstSpecial = tokens.length;
    const endOfSequenceToken = firstSpecial + 2;
    tokens.push(...specialChatTokens);
    tokenTypes.push(3, 3, 3);
    const vocabulary = tokens.length;

    const metadata: Record<string, GgufValue> = {
        "general.architecture": { type: "string", value: "llama" },
        "general.name": { type: "string", value: options.name },
        "general.file_type": {
            type: "u32",
            value: options.fileType ?? (weightType === GgmlType.F32 ? LlamaFileType.ALL_F32 : LlamaFileType.MOSTLY_F16)
        },
        "general.quantization_version": { type: "u32", value: 2 },
        ...llamaHyperparameters({ contextLength: options.contextLength ?? 2048, embedding, layers, feedForward, heads, ropeBase: 10000, vocabulary }),
        "tokenizer.ggml.tokens": { type: "string[]", value: tokens },
        "tokenizer.ggml.token_type": { type: "i32[]", value: tokenTypes },
        "tokenizer.ggml.merges": { type: "string[]", value: merges },
        "tokenizer.ggml.bos_token_id": { type: "u32", value: firstSpecial },
        "tokenizer.ggml.eos_token_id": { type: "u32", value: endOfSequenceToken },
        "tokenizer.ggml.padding_token_id": { type: "u32", value: firstSpecial },
        "tokenizer.ggml.add_bos_token": { type: "bool", value: false }
    };
    const template = options.chatTemplate === undefined ? chatmlTemplate : options.chatTemplate;
    if (template !== null) metadata["tokenizer.chat_template"] = { type: "string", value: template };

    const weights = new RandomWeights(options.seed ?? 1);
    const matrixScale = 1 / Math.sqrt(embedding);
    // Output logits with a spread of about 2 keep greedy decoding decisive and sampling varied.
    const outputScale = (2 * Math.sqrt(3)) / Math.sqrt(embedding);
    const endOfSequence = options.endOfSequence ?? "never";
    const tensors: TensorSpec[] = [
        weights.tensor("token_embd.weight", [embedding, vocabulary], weightType, 1,
            endOfSequence === "always" ? (_, set) => set(0, 20) : undefined),
        weights.constant("output_norm.weight", [embedding], 1),
        weights.tensor("output.weight", [embedding, vocabulary], weightType, outputScale, (row, set) => {
            if (endOfSequence === "never" && row >= firstSpecial) for (let i = 0; i < embedding; i++) set(i, 0);
            if (endOfSequence === "always" && row === endOfSequenceToken) {
                for (let i = 0; i < embedding; i++) set(i, i === 0 ? 5 : 0);
            }
        })
    ];
    for (let layer = 0; layer < layers; layer++) {
        const block = `blk.${layer}`;
        const residualScale = layer >= (options.quietLayersFrom ?? layers) ? options.quietScale ?? 0.1 : 1;
        tensors.push(
            weights.constant(`${block}.attn_norm.weight`, [embedding], 1),
            weights.tensor(`${block}.attn_q.weight`, [embedding, embedding], weightType, matrixScale),
            weights.tensor(`${block}.attn_k.weight`, [embedding, embedding], weightType, matrixScale),
            weights.tensor(`${block}.attn_v.weight`, [embedding, embedding], weightType, matrixScale),
            weights.tensor(`${block}.attn_output.weight`, [embedding, embedding], weightType, matrixScale * residualScale),
            weights.constant(`${block}.ffn_norm.weight`, [embedding], 1),
            weights.tensor(`${block}.ffn_gate.weight`, [embedding, feedForward], weightType, matrixScale),
            weights.tensor(`${block}.ffn_up.weight`, [embedding, feedForward], weightType, matrixScale),
            weights.tensor(`${block}.ffn_down.weight`, [feedForward, embedding], weightType, residualScale / Math.sqrt(feedForward))
        );
    }
    await writeGguf(path, metadata, tensors);
}

export type EmbeddingModelOptions = {
    name: string;
    /** Hidden size. Default 64. */
    embeddingLength?: number;
    /** Transformer blocks. Default 2. */
    layers?: number;
    /** Attention heads. Default 4. */
    heads?: number;
    /** Trained context length. Default 512. */
    contextLength?: number;
    seed?: number;
    /**
     * A reranker (as bge-reranker is): rank pooling and a classification head (`cls`, `cls.output`) that scores a
     * query-document pair, as llama.cpp's BERT reads it.
     */
    reranker?: boolean;
};

/** WordPiece vocabulary: specials, every printable ASCII character as a word start and as a continuation, corpus words. */
function wordPieceVocabulary(): string[] {
    const wordStart = "\u2581";
    const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    const characters: string[] = [];
    for (let code = 33; code < 127; code++) {
        const character = String.fromCharCode(code).toLowerCase();
        if (!characters.includes(character)) characters.push(character);
    }
    const words = [...new Set(trainingCorpus.toLowerCase().match(/\p{L}+/gu) ?? [])].filter((word) => word.length > 1);
    return [
        ...specials,
        ...characters.map((character) => wordStart + character),
        ...characters,
        ...words.map((word) => wordStart + word)
    ];
}

export async function writeEmbeddingModel(path: string, options: EmbeddingModelOptions): Promise<void> {
    const embedding = options.embeddingLength ?? 64;
    const layers = options.layers ?? 2;
    const heads = options.heads ?? 4;
    const feedForward = embedding * 4;
    const contextLength = options.contextLength ?? 512;
    const tokens = wordPieceVocabulary();
    const metadata: Record<string, GgufValue> = {
        "general.architecture": { type: "string", value: "bert" },
        "general.name": { type: "string", value: options.name },
        "general.file_type": { type: "u32", value: LlamaFileType.ALL_F32 },
        "bert.context_length": { type: "u32", value: contextLength },
        "bert.embedding_length": { type: "u32", value: embedding },
        "bert.block_count": { type: "u32", value: layers },
        "bert.feed_forward_length": { type: "u32", value: feedForward },
        "bert.attention.head_count": { type: "u32", value: heads },
        "bert.attention.layer_norm_epsilon": { type: "f32", value: 1e-12 },
        "bert.attention.causal": { type: "bool", value: false },
        "bert.pooling_type": { type: "u32", value: options.reranker ? 4 : 1 },
        "tokenizer.ggml.model": { type: "string", value: "bert" },
        "tokenizer.ggml.tokens": { type: "string[]", value: tokens },
        "tokenizer.ggml.token_type": { type: "i32[]", value: tokens.map((_, index) => (index < 5 ? 3 : 1)) },
        "tokenizer.ggml.token_type_count": { type: "u32", value: 2 },
        "tokenizer.ggml.padding_token_id": { type: "u32", value: 0 },
        "tokenizer.ggml.unknown_token_id": { type: "u32", value: 1 },
        "tokenizer.ggml.bos_token_id": { type: "u32", value: 2 },
        "tokenizer.ggml.seperator_token_id": { type: "u32", value: 3 },
        "tokenizer.ggml.mask_token_id": { type: "u32", value: 4 }
    };
    const weights = new RandomWeights(options.seed ?? 2);
    const f32 = GgmlType.F32;
    const tensors: TensorSpec[] = [
        weights.tensor("token_embd.weight", [embedding, tokens.length], f32, 1),
        weights.tensor("token_types.weight", [embedding, 2], f32, 0.1),
        weights.tensor("position_embd.weight", [embedding, contextLength], f32, 0.1),
        weights.constant("token_embd_norm.weight", [embedding], 1),
        weights.constant("token_embd_norm.bias", [embedding], 0)
    ];
    for (let layer = 0; layer < layers; layer++) {
        const block = `blk.${layer}`;
        const linear = (name: string, inputs: number, outputs: number) => [
            weights.tensor(`${block}.${name}.weight`, [inputs, outputs], f32, 1 / Math.sqrt(inputs)),
            weights.tensor(`${block}.${name}.bias`, [outputs], f32, 0.01)
        ];
        tensors.push(
            ...linear("attn_q", embedding, embedding),
            ...linear("attn_k", embedding, embedding),
            ...linear("attn_v", embedding, embedding),
            ...linear("attn_output", embedding, embedding),
            weights.constant(`${block}.attn_output_norm.weight`, [embedding], 1),
            weights.constant(`${block}.attn_output_norm.bias`, [embedding], 0),
            ...linear("ffn_up", embedding, feedForward),
            ...linear("ffn_down", feedForward, embedding),
            weights.constant(`${block}.layer_output_norm.weight`, [embedding], 1),
            weights.constant(`${block}.layer_output_norm.bias`, [embedding], 0)
        );
    }
    if (options.reranker) {
        tensors.push(
            weights.tensor("cls.weight", [embedding, embedding], f32, 1 / Math.sqrt(embedding)),
            weights.tensor("cls.bias", [embedding], f32, 0.01),
            weights.tensor("cls.output.weight", [embedding, 1], f32, 1 / Math.sqrt(embedding)),
            weights.tensor("cls.output.bias", [1], f32, 0.01)
        );
    }
    await writeGguf(path, metadata, tensors);
}
