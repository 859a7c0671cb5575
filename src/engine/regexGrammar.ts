/**
 * A JSON Schema `pattern` (an ECMAScript regular expression, as Ajv runs it with the `u` flag, unanchored unless
 * it says `^`/`$`) as GBNF for the inside of a JSON string: the characters the pattern matches, each written as
 * JSON writes it (a quote as \", a newline as \n), so the grammar's texts parse back to strings the pattern
 * matches. Lookarounds, backreferences, word boundaries and Unicode properties have no grammar: refused.
 */

export class UnsupportedPattern extends Error {}

/** Code point ranges [from, to], sorted and disjoint. */
type CharSet = Array<[number, number]>;

const maxCodePoint = 0x10ffff;
const maxRepeat = 1000;

function normalize(ranges: CharSet): CharSet {
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    const merged: CharSet = [];
    for (const [from, to] of sorted) {
        const last = merged[merged.length - 1];
        if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
        else merged.push([from, to]);
    }
    return merged;
}

function complement(set: CharSet): CharSet {
    const result: CharSet = [];
    let next = 0;
    for (const [from, to] of normalize(set)) {
        if (from > next) result.push([next, from - 1]);
        next = to + 1;
    }
    if (next <= maxCodePoint) result.push([next, maxCodePoint]);
    return result;
}

function intersect(a: CharSet, b: CharSet): CharSet {
    const result: CharSet = [];
    for (const [aFrom, aTo] of a) {
        for (const [bFrom, bTo] of b) {
            const from = Math.max(aFrom, bFrom);
            const to = Math.min(aTo, bTo);
            if (from <= to) result.push([from, to]);
        }
    }
    return normalize(result);
}

const single = (c: number): CharSet => [[c, c]];
const digits: CharSet = [[0x30, 0x39]];
const wordChars: CharSet = normalize([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]);
/** ECMAScript's \s: WhiteSpace and LineTerminator. */
const spaceChars: CharSet = normalize([[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029],
    [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]]);
/** `.` without the s flag: anything but line terminators. */
const dotChars = complement([[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]]);

/** What JSON writes unescaped in a string: no quote, backslash, control character; surrogates are not characters. */
const rawJsonChars: CharSet = normalize([[0x20, 0x21], [0x23, 0x5b], [0x5d, 0xd7ff], [0xe000, maxCodePoint]]);
const jsonEscapes = new Map<number, string>([[0x22, '\\"'], [0x5c, "\\\\"], [0x08, "\\b"], [0x0c, "\\f"], [0x0a, "\\n"], [0x0d, "\\r"], [0x09, "\\t"]]);

const hex = (c: number) => (c <= 0xff ? `\\x${c.toString(16).padStart(2, "0")}` : c <= 0xffff ? `\\u${c.toString(16).padStart(4, "0")}` : `\\U${c.toString(16).padStart(8, "0")}`);
/** A code point inside a GBNF character class. */
export const classCharacter = (c: number) => (/[a-zA-Z0-9]/.test(String.fromCodePoint(c)) ? String.fromCodePoint(c) : hex(c));
const gbnfLiteral = (text: string) => `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** The JSON text of one character, as a GBNF literal (a character the grammar need not escape is written as is). */
function jsonCharLiteral(c: number): string {
    const escape = jsonEscapes.get(c);
    if (escape !== undefined) return gbnfLiteral(escape);
    if (c < 0x20) return gbnfLiteral(`\\u${c.toString(16).padStart(4, "0")}`);
    return `"${hex(c)}"`;
}

const characterClass = (set: CharSet) => `[${set.map(([from, to]) => (from === to ? classCharacter(from) : `${classCharacter(from)}-${classCharacter(to)}`)).join("")}]`;

/** The class of characters a JSON string holds unescaped, but for `codePoints`. */
export function unescapedJsonCharsExcept(codePoints: number[]): string {
    return characterClass(intersect(rawJsonChars, complement(codePoints.map((c): [number, number] => [c, c]))));
}

/**
 * How matched text is written: "json", inside a JSON string (escapes where JSON needs them); "bare", as is, but
 * never "<" (a bare-text tool argument ends at its closing tag).
 */
export type TextEncoding = "json" | "bare";
const bareChars: CharSet = complement([[0x3c, 0x3c], [0xd800, 0xdfff]]);

/** A set of characters as the GBNF of their texts: a class for the unescaped ones, literals for the escaped. */
function charSetGrammar(set: CharSet, encoding: TextEncoding): string {
    const alternatives: string[] = [];
    const raw = intersect(set, encoding === "json" ? rawJsonChars : bareChars);
    if (raw.length === 1 && raw[0]![0] === raw[0]![1]) alternatives.push(encoding === "json" ? jsonCharLiteral(raw[0]![0]) : `"${hex(raw[0]![0])}"`);
    else if (raw.length > 0) alternatives.push(characterClass(raw));
    for (const [from, to] of encoding === "json" ? intersect(set, complement(rawJsonChars)) : []) {
        for (let c = from; c <= to; c++) if (c < 0xd800 || c > 0xdfff) alternatives.push(jsonCharLiteral(c));
    }
    if (alternatives.length === 0) throw new UnsupportedPattern("a character class no character matches");
    return alternatives.length === 1 ? alternatives[0]! : `( ${alternatives.join(" | ")} )`;
}

type Node =
    | { kind: "chars"; set: CharSet }
    | { kind: "sequence"; items: Node[] }
    | { kind: "choice"; items: Node[] }
    | { kind: "repeat"; item: Node; min: number; max: number | null }
    | { kind: "start" }
    | { kind: "end" };

class PatternParser {
    private at = 0;
    constructor(private readonly pattern: string) {}

    parse(): Node {
        const node = this.choice();
        if (this.at < this.pattern.length) throw new UnsupportedPattern(`an unbalanced ")" at ${this.at}`);
        return node;
    }

    private peek(): string | undefined {
        return this.pattern[this.at];
    }

    private choice(): Node {
        const items = [this.sequence()];
        while (this.peek() === "|") {
            this.at++;
            items.push(this.sequence());
        }
        return items.length === 1 ? items[0]! : { kind: "choice", items };
    }

    private sequence(): Node {
        const items: Node[] = [];
        while (this.at < this.pattern.length && this.peek() !== "|" && this.peek() !== ")") {
            const atom = this.atom();
            items.push(this.quantified(atom));
        }
        return { kind: "sequence", items };
    }

    private quantified(atom: Node): Node {
        let node = atom;
        for (;;) {
            const c = this.peek();
            let min: number;
            let max: number | null;
            if (c === "*") [min, max] = [0, null];
            else if (c === "+") [min, max] = [1, null];
            else if (c === "?") [min, max] = [0, 1];
            else if (c === "{") {
                const match = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.at));
                if (!match) return node;
                min = Number(match[1]);
                max = match[2] === undefined ? min : match[3] === "" ? null : Number(match[3]);
                this.at += match[0].length - 1;
            } else return node;
            this.at++;
            if (this.peek() === "?") this.at++; // lazy: the same language
            if (node.kind === "start" || node.kind === "end") throw new UnsupportedPattern("a quantified anchor");
            if (min > maxRepeat || (max ?? 0) > maxRepeat) throw new UnsupportedPattern(`a repetition of more than ${maxRepeat}`);
            node = { kind: "repeat", item: node, min, max };
        }
    }

    private atom(): Node {
        const c = this.pattern[this.at++]!;
        switch (c) {
            case "^": return { kind: "start" };
            case "$": return { kind: "end" };
            case ".": return { kind: "chars", set: dotChars };
            case "[": return { kind: "chars", set: this.characterClass() };
            case "(": {
                if (this.pattern.startsWith("?:", this.at)) this.at += 2;
                else if (/^\?<[A-Za-z_$]/.test(this.pattern.slice(this.at))) this.at = this.pattern.indexOf(">", this.at) + 1;
                else if (this.peek() === "?") throw new UnsupportedPattern("a lookaround");
                const inner = this.choice();
                if (this.pattern[this.at++] !== ")") throw new UnsupportedPattern("an unclosed group");
                return inner;
            }
            case "\\": return this.escape(false);
            default: {
                const codePoint = this.pattern.codePointAt(this.at - 1)!;
                if (codePoint > 0xffff) this.at++;
                return { kind: "chars", set: single(codePoint) };
            }
        }
    }

    /** After a backslash; inside a class, \b is a backspace and \- a hyphen. */
    private escape(inClass: boolean): Node & { kind: "chars" } {
        const c = this.pattern[this.at++];
        const chars = (set: CharSet) => ({ kind: "chars" as const, set });
        switch (c) {
            case "d": return chars(digits);
            case "D": return chars(complement(digits));
            case "w": return chars(wordChars);
            case "W": return chars(complement(wordChars));
            case "s": return chars(spaceChars);
            case "S": return chars(complement(spaceChars));
            case "t": return chars(single(0x09));
            case "n": return chars(single(0x0a));
            case "r": return chars(single(0x0d));
            case "f": return chars(single(0x0c));
            case "v": return chars(single(0x0b));
            case "0": return chars(single(0));
            case "x": case "u": {
                const match = c === "x" ? /^[0-9a-fA-F]{2}/.exec(this.pattern.slice(this.at))
                    : /^(?:\{([0-9a-fA-F]{1,6})\}|[0-9a-fA-F]{4})/.exec(this.pattern.slice(this.at));
                if (!match) throw new UnsupportedPattern(`an invalid \\${c} escape`);
                this.at += match[0].length;
                let codePoint = parseInt(match[1] ?? match[0], 16);
                // A surrogate pair written as two \u escapes is one character.
                const low = /^\\u(d[c-f][0-9a-f]{2})/i.exec(this.pattern.slice(this.at));
                if (codePoint >= 0xd800 && codePoint <= 0xdbff && low) {
                    codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (parseInt(low[1]!, 16) - 0xdc00);
                    this.at += 6;
                }
                return chars(single(codePoint));
            }
            case "b":
                if (inClass) return chars(single(0x08));
                throw new UnsupportedPattern("a word boundary (\\b)");
            case "-":
                if (inClass) return chars(single(0x2d));
                break;
            case undefined:
                throw new UnsupportedPattern("a trailing backslash");
            default:
                if ("^$\\.*+?()[]{}|/".includes(c)) return chars(single(c.charCodeAt(0)));
        }
        if (c === "B") throw new UnsupportedPattern("a non-boundary (\\B)");
        if (c === "p" || c === "P") throw new UnsupportedPattern("a Unicode property escape");
        if (c === "k" || /[1-9]/.test(c)) throw new UnsupportedPattern("a backreference");
        throw new UnsupportedPattern(`the escape \\${c}`);
    }

    private characterClass(): CharSet {
        const negated = this.peek() === "^";
        if (negated) this.at++;
        const members: CharSet = [];
        const member = (): CharSet | number => {
            const c = this.pattern[this.at++];
            if (c === undefined) throw new UnsupportedPattern("an unclosed character class");
            if (c === "\\") {
                const set = this.escape(true).set;
                return set.length === 1 && set[0]![0] === set[0]![1] ? set[0]![0] : set;
            }
            const codePoint = this.pattern.codePointAt(this.at - 1)!;
            if (codePoint > 0xffff) this.at++;
            return codePoint;
        };
        while (this.peek() !== "]") {
            const from = member();
            if (this.peek() === "-" && this.pattern[this.at + 1] !== "]" && this.pattern[this.at + 1] !== undefined && typeof from === "number") {
                this.at++;
                const to = member();
                if (typeof to !== "number" || to < from) throw new UnsupportedPattern("an invalid character class range");
                members.push([from, to]);
            } else if (typeof from === "number") members.push([from, from]);
            else members.push(...from);
        }
        this.at++;
        const set = normalize(members);
        return negated ? complement(set) : set;
    }
}

/** `node` as GBNF; anchors are taken care of by the caller, so any left here are inside the pattern. */
function nodeGrammarIn(node: Node, encoding: TextEncoding): string {
    const nodeGrammar = (inner: Node) => nodeGrammarIn(inner, encoding);
    switch (node.kind) {
        case "chars": return charSetGrammar(node.set, encoding);
        case "sequence": {
            if (node.items.length === 0) return '""';
            return node.items.map((item) => (item.kind === "choice" ? `( ${nodeGrammar(item)} )` : nodeGrammar(item))).join(" ");
        }
        case "choice": return node.items.map(nodeGrammar).join(" | ");
        case "repeat": {
            const inner = `( ${nodeGrammar(node.item)} )`;
            if (node.max === null) return node.min === 0 ? `${inner}*` : node.min === 1 ? `${inner}+` : `${inner}{${node.min},}`;
            if (node.max === 0) return '""';
            return node.min === 0 && node.max === 1 ? `${inner}?` : node.min === node.max ? `${inner}{${node.min}}` : `${inner}{${node.min},${node.max}}`;
        }
        case "start":
        case "end":
            throw new UnsupportedPattern("an anchor (^ or $) inside the pattern");
    }
}

/**
 * GBNF for text matching `pattern`, written as `encoding` says; `anyChar` is the grammar of one character so written,
 * for the text an unanchored pattern allows around its match. Throws UnsupportedPattern.
 */
export function patternGrammar(pattern: string, anyChar: string, encoding: TextEncoding = "json"): string {
    try {
        new RegExp(pattern, "u");
    } catch (error) {
        throw new UnsupportedPattern(`an invalid regular expression (${error instanceof Error ? error.message : String(error)})`);
    }
    const tree = new PatternParser(pattern).parse();
    const alternatives = tree.kind === "choice" ? tree.items : [tree];
    return alternatives.map((alternative) => {
        const items = alternative.kind === "sequence" ? [...alternative.items] : [alternative];
        const anchoredStart = items[0]?.kind === "start";
        if (anchoredStart) items.shift();
        const anchoredEnd = items[items.length - 1]?.kind === "end";
        if (anchoredEnd) items.pop();
        const body = nodeGrammarIn({ kind: "sequence", items }, encoding);
        return `( ${anchoredStart ? "" : `( ${anyChar} )* `}${body}${anchoredEnd ? "" : ` ( ${anyChar} )*`} )`;
    }).join(" | ");
}
