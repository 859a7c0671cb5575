/**
 * Trains a GPT-2 style byte-level BPE vocabulary (tokens + merges) on a small corpus, in the form llama.cpp reads
 * from `tokenizer.ggml.tokens` / `tokenizer.ggml.merges` with `tokenizer.ggml.model = "gpt2"`.
 */

/** GPT-2's reversible mapping of bytes to printable unicode characters. */
export function bytesToUnicode(): string[] {
    const printable: number[] = [];
    for (let b = "!".charCodeAt(0); b <= "~".charCodeAt(0); b++) printable.push(b);
    for (let b = "¡".charCodeAt(0); b <= "¬".charCodeAt(0); b++) printable.push(b);
    for (let b = "®".charCodeAt(0); b <= "ÿ".charCodeAt(0); b++) printable.push(b);
    const mapping: string[] = new Array(256);
    let extra = 0;
    for (let byte = 0; byte < 256; byte++) {
        mapping[byte] = printable.includes(byte) ? String.fromCharCode(byte) : String.fromCharCode(256 + extra++);
    }
    return mapping;
}

const gpt2PreTokenizer = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export type BpeVocabulary = { tokens: string[]; merges: string[] };

export function trainBpeVocabulary(corpus: string, mergeCount: number): BpeVocabulary {
    const byteChars = bytesToUnicode();
    const encoder = new TextEncoder();
    const wordCounts = new Map<string, number>();
    for (const piece of corpus.match(gpt2PreTokenizer) ?? []) {
        const mapped = Array.from(encoder.encode(piece), (byte) => byteChars[byte]!).join("");
        wordCounts.set(mapped, (wordCounts.get(mapped) ?? 0) + 1);
    }
    const words = [...wordCounts].map(([word, count]) => ({ symbols: [...word], count }));
    const tokens = [...byteChars];
    const merges: string[] = [];
    for (let round = 0; round < mergeCount; round++) {
        const pairCounts = new Map<string, number>();
        for (const { symbols, count } of words) {
            for (let i = 0; i < symbols.length - 1; i++) {
                const pair = `${symbols[i]} ${symbols[i + 1]}`;
                pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + count);
            }
        }
        let best: string | undefined;
        let bestCount = 1;
        for (const [pair, count] of pairCounts) {
            if (count > bestCount || (count === bestCount && best !== undefined && pair < best)) {
                best = pair;
                bestCount = count;
            }
        }
        if (best === undefined) break;
        const [left, right] = best.split(" ") as [string, string];
        merges.push(best);
        tokens.push(left + right);
        for (const word of words) {
            const merged: string[] = [];
            for (let i = 0; i < word.symbols.length; i++) {
                if (word.symbols[i] === left && word.symbols[i + 1] === right) {
                    merged.push(left + right);
                    i++;
                } else {
                    merged.push(word.symbols[i]!);
                }
            }
            word.symbols = merged;
        }
    }
    return { tokens, merges };
}
