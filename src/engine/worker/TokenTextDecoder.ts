import type { LlamaModel, Token } from "node-llama-cpp";

/**
 * Turns generated tokens into text one token at a time. A multi-byte character can span tokens; its first
 * tokens decode to U+FFFD, so they are held (up to four tokens, a UTF-8 character's longest form) until the
 * character completes.
 */
export class TokenTextDecoder {
    private pending: Token[] = [];
    private previous: Token[] = [];

    /** `keepControlTokens`: control tokens come out as their text, for a parser to read; else they are dropped. */
    constructor(private readonly model: LlamaModel, private readonly keepControlTokens = false) {}

    push(token: Token): string {
        this.pending.push(token);
        const text = this.model.detokenize(this.pending, this.keepControlTokens, this.previous);
        if (text.endsWith("\uFFFD") && this.pending.length < 4) return "";
        this.previous = [...this.previous, ...this.pending].slice(-8);
        this.pending = [];
        return text;
    }

    flush(): string {
        if (this.pending.length === 0) return "";
        const text = this.model.detokenize(this.pending, this.keepControlTokens, this.previous);
        this.pending = [];
        return text;
    }
}
