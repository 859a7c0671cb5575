/**
 * An independent reading of llama.cpp's GBNF grammar language, so unit tests can check the grammars our code
 * generates without running llama.cpp: parse (rejecting what llama.cpp rejects), decide whether a whole text is in a
 * rule's language, and sample random texts of it. The parser follows `src/llama-grammar.cpp` (parse_space,
 * parse_name, parse_char, parse_sequence, parse_alternates, handle_repetitions, parse_rule) step by step, so its
 * quirks (where newlines may continue a rule, what a repetition may follow, the 2000-repetition limits) are llama.cpp's.
 * Characters are Unicode code points, as in llama.cpp; JS strings are read by code point, not UTF-16 unit.
 * Tokens (`<think>`, `<[42]>`) need a model's vocabulary and are not supported.
 */

export type GbnfNode =
    /** A rule's body or a parenthesized group, even with one alternative: llama.cpp makes each a rule of its own. */
    | { readonly type: "alt"; readonly alternatives: readonly GbnfNode[] }
    /** Only with two items or none; one item stands alone. */
    | { readonly type: "seq"; readonly items: readonly GbnfNode[] }
    | { readonly type: "chars"; readonly codePoints: readonly number[] }
    | { readonly type: "class"; readonly negated: boolean; readonly ranges: readonly (readonly [number, number])[] }
    | { readonly type: "any" }
    | { readonly type: "ref"; readonly name: string }
    /** `max` is Infinity for `*`, `+` and `{m,}`. */
    | { readonly type: "repeat"; readonly item: GbnfNode; readonly min: number; readonly max: number };

export interface Grammar {
    readonly rules: ReadonlyMap<string, GbnfNode>;
}

/** llama.cpp's MAX_REPETITION_THRESHOLD. */
const maxRepetition = 2000;
const simpleEscapes = new Map([["t", 9], ["r", 13], ["n", 10], ["\\", 92], ['"', 34], ["[", 91], ["]", 93], ["-", 45]]);
const hexEscapes = new Map([["x", 2], ["u", 4], ["U", 8]]);
const isWordChar = (c: string) => /^[a-zA-Z0-9-]$/.test(c);
const isDigit = (c: string) => /^[0-9]$/.test(c);

class Parser {
    private readonly src: string[];
    private pos = 0;
    readonly rules = new Map<string, GbnfNode>();
    /** llama.cpp's symbol table (every rule name seen, plus the rules it synthesizes) sizes its repetition limit. */
    private readonly names = new Set<string>();
    private synthesized = 0;
    /** Items `{0}` dropped, with their rule's name: llama.cpp keeps the rules it made for them, and checks those too. */
    private readonly dropped: [GbnfNode, string][] = [];
    private ruleName = "";

    constructor(text: string) {
        this.src = Array.from(text);
    }

    parse(): Grammar {
        this.space(true);
        while (this.peek()) this.rule();
        for (const name of this.names) {
            if (!this.rules.has(name)) throw new Error(`GBNF: undefined rule '${name}'`);
        }
        checkLlamaLeftRecursion(this.rules, this.dropped);
        checkLeftRecursion(this.rules);
        return { rules: this.rules };
    }

    /** "" at the end, where llama.cpp meets the C string's NUL. */
    private peek(offset = 0): string {
        return this.src[this.pos + offset] ?? "";
    }

    private fail(message: string): never {
        const before = this.src.slice(0, this.pos).join("").split(/\r\n|\r|\n/);
        const rest = this.src.slice(this.pos, this.pos + 20).join("");
        const column = Array.from(before.at(-1)!).length + 1;
        throw new Error(`GBNF: ${message} at line ${before.length}, column ${column}: ${JSON.stringify(rest)}`);
    }

    private get symbols(): number {
        return this.names.size + this.synthesized;
    }

    private space(newlineOk: boolean): void {
        for (;;) {
            const c = this.peek();
            if (c === " " || c === "\t" || (newlineOk && (c === "\r" || c === "\n"))) this.pos++;
            else if (c === "#") while (this.peek() && this.peek() !== "\r" && this.peek() !== "\n") this.pos++;
            else return;
        }
    }

    private name(): string {
        const start = this.pos;
        while (isWordChar(this.peek())) this.pos++;
        if (this.pos === start) this.fail("expecting name");
        const name = this.src.slice(start, this.pos).join("");
        this.names.add(name);
        return name;
    }

    private int(): number {
        const start = this.pos;
        while (isDigit(this.peek())) this.pos++;
        if (this.pos === start) this.fail("expecting an int");
        return Number(this.src.slice(start, this.pos).join(""));
    }

    private char(): number {
        const c = this.peek();
        if (!c) this.fail("unexpected end of input");
        if (c !== "\\") {
            this.pos++;
            return c.codePointAt(0)!;
        }
        const escape = this.peek(1);
        const digits = hexEscapes.get(escape);
        if (digits !== undefined) {
            const hex = this.src.slice(this.pos + 2, this.pos + 2 + digits).join("");
            if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) this.fail(`expecting ${digits} hex chars after \\${escape}`);
            this.pos += 2 + digits;
            return parseInt(hex, 16);
        }
        const simple = simpleEscapes.get(escape);
        if (simple === undefined) this.fail("unknown escape");
        this.pos += 2;
        return simple;
    }

    private rule(): void {
        const name = this.ruleName = this.name();
        this.space(false);
        if (this.src.slice(this.pos, this.pos + 3).join("") !== "::=") this.fail("expecting ::=");
        this.pos += 3;
        this.space(true);
        // A second definition replaces the first, as in llama.cpp.
        this.rules.set(name, this.alternates(false));
        if (this.peek() === "\r") this.pos += this.peek(1) === "\n" ? 2 : 1;
        else if (this.peek() === "\n") this.pos++;
        else if (this.peek()) this.fail("expecting newline or end");
        this.space(true);
    }

    /** Outside parentheses (`nested` false) a newline ends the rule, except right after `|`. */
    private alternates(nested: boolean): GbnfNode {
        const alternatives = [this.sequence(nested)];
        while (this.peek() === "|") {
            this.pos++;
            this.space(true);
            alternatives.push(this.sequence(nested));
        }
        return { type: "alt", alternatives };
    }

    private sequence(nested: boolean): GbnfNode {
        const items: GbnfNode[] = [];
        // Whether items' last node is llama.cpp's "preceding item" a repetition may follow: not after `""`, `[]`,
        // `x{0}`, nor at the start of an alternative.
        let repeatable = false;
        // llama.cpp's n_prev_rules: how many rules a repetition of the preceding item multiplies.
        let prevRules = 1;
        const push = (node: GbnfNode | undefined, rules = 1) => {
            if (node) items.push(node);
            repeatable = node !== undefined;
            prevRules = rules;
        };
        const repeat = (min: number, max: number) => {
            if (!repeatable) this.fail("expecting preceding item to */+/?/{");
            // llama.cpp does not reject a reversed range: it sets out to build 2^64 rules.
            if (max < min) this.fail(`repetition {${min},${max}} has its maximum below its minimum`);
            const total = max !== Infinity && max > 0 ? max : Math.max(min, 1);
            if (prevRules * total > maxRepetition) this.fail(`repetition would need over ${maxRepetition} rules`);
            this.synthesized += max === Infinity ? 1 : max - min;
            const item = items.pop()!;
            if (max > 0) {
                items.push({ type: "repeat", item, min, max });
            } else {
                this.dropped.push([item, this.ruleName]);
                repeatable = false;
            }
            prevRules *= total;
        };
        for (;;) {
            const c = this.peek();
            if (c === '"') {
                this.pos++;
                const codePoints: number[] = [];
                while (this.peek() !== '"') codePoints.push(this.char());
                this.pos++;
                push(codePoints.length > 0 ? { type: "chars", codePoints } : undefined);
                this.space(nested);
            } else if (c === "[") {
                this.pos++;
                const negated = this.peek() === "^";
                if (negated) this.pos++;
                const ranges: [number, number][] = [];
                while (this.peek() !== "]") {
                    const first = this.char();
                    let last = first;
                    if (this.peek() === "-" && this.peek(1) !== "]") {
                        this.pos++;
                        last = this.char();
                    }
                    ranges.push([first, last]);
                }
                this.pos++;
                push(ranges.length > 0 ? { type: "class", negated, ranges } : undefined);
                this.space(nested);
            } else if (c === "<" || c === "!") {
                this.fail("tokens (<...>, !<...>) need a model's vocabulary and are not supported");
            } else if (isWordChar(c)) {
                const name = this.name();
                this.space(nested);
                push({ type: "ref", name });
            } else if (c === "(") {
                this.pos++;
                this.space(true);
                const before = this.symbols;
                this.synthesized++;
                const group = this.alternates(true);
                if (this.peek() !== ")") this.fail("expecting ')'");
                this.pos++;
                push(group, Math.max(1, this.symbols - before));
                this.space(nested);
            } else if (c === ".") {
                this.pos++;
                push({ type: "any" });
                this.space(nested);
            } else if (c === "*" || c === "+" || c === "?") {
                this.pos++;
                this.space(nested);
                repeat(c === "+" ? 1 : 0, c === "?" ? 1 : Infinity);
            } else if (c === "{") {
                this.pos++;
                this.space(nested);
                const min = this.int();
                this.space(nested);
                let max = min;
                if (this.peek() === ",") {
                    this.pos++;
                    this.space(nested);
                    max = Infinity;
                    if (isDigit(this.peek())) {
                        max = this.int();
                        this.space(nested);
                    }
                    if (this.peek() !== "}") this.fail("expecting '}'");
                } else if (this.peek() !== "}") {
                    this.fail("expecting ','");
                }
                this.pos++;
                this.space(nested);
                if (min > maxRepetition) this.fail(`number of repetitions exceeds ${maxRepetition}`);
                // llama.cpp reads a maximum over the limit as no maximum at all.
                repeat(min, max > maxRepetition ? Infinity : max);
            } else {
                return items.length === 1 ? items[0]! : { type: "seq", items };
            }
        }
    }
}

export function parseGbnf(text: string): Grammar {
    return new Parser(text).parse();
}

/**
 * A per-rule measure that only falls from Infinity (minimum length, minimum depth), as a least fixpoint over the
 * rules; alternatives take the minimum. The returned function measures any node of the grammar.
 */
function measure(
    rules: ReadonlyMap<string, GbnfNode>,
    fold: {
        terminal(node: GbnfNode): number;
        ref(body: number): number;
        seq(items: number[]): number;
        repeat(min: number, item: number): number;
    }
): (node: GbnfNode) => number {
    const ruleValues = new Map<string, number>();
    const evaluate = (node: GbnfNode): number => {
        switch (node.type) {
            case "ref": return fold.ref(ruleValues.get(node.name) ?? Infinity);
            case "seq": return fold.seq(node.items.map(evaluate));
            case "alt": return Math.min(...node.alternatives.map(evaluate));
            case "repeat": return fold.repeat(node.min, evaluate(node.item));
            default: return fold.terminal(node);
        }
    };
    for (let changed = true; changed;) {
        changed = false;
        for (const [name, body] of rules) {
            const value = evaluate(body);
            if (value < (ruleValues.get(name) ?? Infinity)) {
                ruleValues.set(name, value);
                changed = true;
            }
        }
    }
    const cache = new Map<GbnfNode, number>();
    return (node) => {
        let value = cache.get(node);
        if (value === undefined) cache.set(node, value = evaluate(node));
        return value;
    };
}

const minLength = (rules: ReadonlyMap<string, GbnfNode>) => measure(rules, {
    terminal: (node) => node.type === "chars" ? node.codePoints.length : 1,
    ref: (body) => body,
    seq: (items) => items.reduce((sum, item) => sum + item, 0),
    repeat: (min, item) => min === 0 ? 0 : min * item
});

/**
 * llama.cpp's own left-recursion check (llama_grammar_detect_left_recursion, run when it builds a grammar), on its
 * own expansion of the grammar into rules: one per rule body and group, and handle_repetitions' rules for each
 * repetition (`S' ::= S S' |`, or a chain of `S'(k) ::= S S'(k-1) |`). It counts a rule as possibly empty only when an
 * alternative is literally empty, so it refuses `"a"?*` (whose `S'` is) but accepts `("a"?)*` (whose group is not).
 */
function checkLlamaLeftRecursion(rules: ReadonlyMap<string, GbnfNode>, dropped: readonly [GbnfNode, string][]): void {
    // Each rule's alternatives as element lists: a rule id, or null for a character.
    const llamaRules: (number | null)[][][] = [];
    const owners: string[] = [];
    const ids = new Map<GbnfNode, number>();
    const newRule = (owner: string) => owners.push(owner) - 1;
    for (const [name, body] of rules) ids.set(body, newRule(name));
    const expansions = new Map<GbnfNode, (number | null)[]>();
    const elements = (node: GbnfNode, owner: string): (number | null)[] => {
        switch (node.type) {
            case "chars": return node.codePoints.map(() => null);
            case "class": case "any": return [null];
            case "ref": return [ids.get(rules.get(node.name)!)!];
            case "seq": return node.items.flatMap((item) => elements(item, owner));
            case "alt": {
                if (!ids.has(node)) ids.set(node, newRule(owner));
                llamaRules[ids.get(node)!] ??= node.alternatives.map((alternative) => elements(alternative, owner));
                return [ids.get(node)!];
            }
            case "repeat": {
                let expansion = expansions.get(node);
                if (!expansion) {
                    const item = elements(node.item, owner);
                    expansion = Array.from({ length: node.min }, () => item).flat();
                    let last: number | undefined;
                    for (let k = node.max === Infinity ? 1 : node.max - node.min; k > 0; k--) {
                        const id = newRule(owner);
                        llamaRules[id] = [[...item, ...(node.max === Infinity ? [id] : last === undefined ? [] : [last])], []];
                        last = id;
                    }
                    if (last !== undefined) expansion.push(last);
                    expansions.set(node, expansion);
                }
                return expansion;
            }
        }
    };
    for (const [name, body] of rules) elements(body, name);
    for (const [item, name] of dropped) elements(item, name);
    const visited: boolean[] = [];
    const inProgress: boolean[] = [];
    const mayBeEmpty: boolean[] = [];
    // The rule found in progress again, if any.
    const detect = (id: number): number | undefined => {
        if (inProgress[id]) return id;
        inProgress[id] = true;
        const alternatives = llamaRules[id]!;
        mayBeEmpty[id] = alternatives.some((alternative) => alternative.length === 0);
        for (const alternative of alternatives) {
            for (const element of alternative) {
                if (element === null) break;
                const found = detect(element);
                if (found !== undefined) return found;
                if (!mayBeEmpty[element]) break;
            }
        }
        inProgress[id] = false;
        visited[id] = true;
        return undefined;
    };
    for (let id = 0; id < llamaRules.length; id++) {
        const found = visited[id] ? undefined : detect(id);
        if (found !== undefined) throw new Error(`GBNF: left recursion (llama.cpp's check) in rule '${owners[found]}'`);
    }
}

/**
 * A top-down matcher could not stop on left recursion, and llama.cpp's check above misses some: it sees no emptiness
 * through a rule that only refers to an empty-able one. llama.cpp then runs out of memory building the grammar, unless
 * the recursion ends its alternative (`root ::= x root | "b"`); this check, exact through nullable prefixes between
 * named rules, refuses that rare survivor too.
 */
function checkLeftRecursion(rules: ReadonlyMap<string, GbnfNode>): void {
    const length = minLength(rules);
    const leftmost = (node: GbnfNode, out: Set<string>): Set<string> => {
        switch (node.type) {
            case "ref": out.add(node.name); break;
            case "alt": for (const alternative of node.alternatives) leftmost(alternative, out); break;
            case "repeat": leftmost(node.item, out); break;
            case "seq":
                for (const item of node.items) {
                    leftmost(item, out);
                    if (length(item) > 0) break;
                }
        }
        return out;
    };
    const done = new Set<string>();
    const visit = (name: string, path: string[]): void => {
        if (path.includes(name)) throw new Error(`GBNF: left recursion: ${[...path.slice(path.indexOf(name)), name].join(" -> ")}`);
        if (done.has(name)) return;
        for (const next of leftmost(rules.get(name)!, new Set())) visit(next, [...path, name]);
        done.add(name);
    };
    for (const name of rules.keys()) visit(name, []);
}

function ruleBody(grammar: Grammar, rule: string): GbnfNode {
    const body = grammar.rules.get(rule);
    if (!body) throw new Error(`GBNF: no rule '${rule}'`);
    return body;
}

const inClass = (node: GbnfNode & { type: "class" }, cp: number) =>
    node.ranges.some(([first, last]) => first <= cp && cp <= last) !== node.negated;

/** Whether the whole text is in the rule's language (a grammar given as text is parsed on each call). */
export function gbnfMatches(grammar: Grammar | string, text: string, rule = "root"): boolean {
    const { rules } = typeof grammar === "string" ? parseGbnf(grammar) : grammar;
    const cps = Array.from(text, (c) => c.codePointAt(0)!);
    // Every end position of every (node, start) is kept, so ambiguity costs polynomial time, never backtracking.
    const memo = new Map<GbnfNode, Map<number, readonly number[] | "busy">>();
    const ends = (node: GbnfNode, pos: number): readonly number[] => {
        switch (node.type) {
            case "chars": return node.codePoints.every((cp, i) => cps[pos + i] === cp) ? [pos + node.codePoints.length] : [];
            case "class": return pos < cps.length && inClass(node, cps[pos]!) ? [pos + 1] : [];
            case "any": return pos < cps.length ? [pos + 1] : [];
            case "ref": return ends(rules.get(node.name)!, pos);
        }
        let byPos = memo.get(node);
        if (!byPos) memo.set(node, byPos = new Map());
        const known = byPos.get(pos);
        if (known === "busy") throw new Error("GBNF: left recursion"); // parseGbnf rejects these; a hand-built Grammar may not
        if (known) return known;
        byPos.set(pos, "busy");
        const result = [...compound(node, pos)];
        byPos.set(pos, result);
        return result;
    };
    const step = (from: Iterable<number>, item: GbnfNode) => {
        const to = new Set<number>();
        for (const pos of from) for (const end of ends(item, pos)) to.add(end);
        return to;
    };
    const compound = (node: GbnfNode, pos: number): Set<number> => {
        switch (node.type) {
            case "alt": return new Set(node.alternatives.flatMap((alternative) => ends(alternative, pos)));
            case "seq": return node.items.reduce((from, item) => step(from, item), new Set([pos]));
            case "repeat": {
                const result = new Set<number>(node.min === 0 ? [pos] : []);
                let frontier = new Set([pos]);
                for (let count = 1; count <= node.max && frontier.size > 0; count++) {
                    frontier = step(frontier, node.item);
                    if (count < node.min) continue;
                    // Once the minimum is met, reaching a position again with more repetitions adds nothing, so
                    // only new positions go on; this also ends unbounded and nullable repetitions.
                    frontier = new Set([...frontier].filter((end) => !result.has(end)));
                    for (const end of frontier) result.add(end);
                }
                return result;
            }
            default: throw new Error(`unreachable: ${node.type}`);
        }
    };
    return ends(ruleBody({ rules }, rule), 0).includes(cps.length);
}

/**
 * What negated classes and `.` are sampled from, since their complement is most of Unicode: printable ASCII, a few
 * non-ASCII characters (2-, 3- and 4-byte UTF-8, one outside the BMP) and two control characters.
 */
const universe = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => 0x20 + i), ...Array.from("é中😀\n\t", (c) => c.codePointAt(0)!)];

/** The code points a class or `.` samples from, as disjoint ranges, skipping surrogates and non-code points. */
function pool(node: GbnfNode & { type: "class" | "any" }): [number, number][] {
    if (node.type === "any") return universe.map((cp) => [cp, cp]);
    if (node.negated) return universe.filter((cp) => inClass(node, cp)).map((cp) => [cp, cp]);
    const merged: [number, number][] = [];
    // A reversed range (`[z-a]`) matches nothing in llama.cpp either.
    for (const [first, last] of node.ranges.filter(([first, last]) => first <= last).sort((a, b) => a[0] - b[0])) {
        const previous = merged.at(-1);
        if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
        else merged.push([first, last]);
    }
    return merged.flatMap(([first, last]): [number, number][] => [[first, Math.min(last, 0xd7ff)], [Math.max(first, 0xe000), Math.min(last, 0x10ffff)]])
        .filter(([first, last]) => first <= last);
}

const depthCache = new WeakMap<Grammar, (node: GbnfNode) => number>();
const poolCache = new WeakMap<GbnfNode, [number, number][]>();
const poolOf = (node: GbnfNode & { type: "class" | "any" }) => {
    let ranges = poolCache.get(node);
    if (!ranges) poolCache.set(node, ranges = pool(node));
    return ranges;
};

/**
 * The fewest rule references nested on the stack a node needs to produce a text (Infinity: it never can, such as a
 * rule that only recurses, or a class with nothing to sample).
 */
function minDepth(grammar: Grammar): (node: GbnfNode) => number {
    let depth = depthCache.get(grammar);
    if (!depth) {
        depth = measure(grammar.rules, {
            terminal: (node) => (node.type === "class" || node.type === "any") && poolOf(node).length === 0 ? Infinity : 0,
            ref: (body) => body + 1,
            seq: (items) => Math.max(0, ...items),
            repeat: (min, item) => min === 0 ? 0 : item
        });
        depthCache.set(grammar, depth);
    }
    return depth;
}

/**
 * A random text of the rule's language: alternatives uniform, repetition counts uniform in [min, min(max, min +
 * maxRepeat)], class characters uniform over the class's code points. Once maxDepth rule references are nested, only
 * the alternatives (and repetition counts) with the shallowest way out are taken, so recursion ends.
 */
export function sampleGbnf(
    grammar: Grammar | string,
    random: () => number,
    rule = "root",
    { maxRepeat = 4, maxDepth = 12 }: { maxRepeat?: number; maxDepth?: number } = {}
): string {
    const parsed = typeof grammar === "string" ? parseGbnf(grammar) : grammar;
    const depthOf = minDepth(parsed);
    const start = ruleBody(parsed, rule);
    if (depthOf(start) === Infinity) throw new Error(`GBNF: rule '${rule}' cannot produce a finite text`);
    const pick = (n: number) => Math.min(n - 1, Math.floor(random() * n));
    const out: string[] = [];
    const walk = (node: GbnfNode, depth: number): void => {
        switch (node.type) {
            case "chars": out.push(String.fromCodePoint(...node.codePoints)); break;
            case "ref": walk(parsed.rules.get(node.name)!, depth + 1); break;
            case "seq": for (const item of node.items) walk(item, depth); break;
            case "class":
            case "any": {
                const ranges = poolOf(node);
                let index = pick(ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0));
                for (const [first, last] of ranges) {
                    if (index <= last - first) {
                        out.push(String.fromCodePoint(first + index));
                        break;
                    }
                    index -= last - first + 1;
                }
                break;
            }
            case "alt": {
                // Alternatives that can never finish are never taken, not even above maxDepth.
                let options = node.alternatives.filter((alternative) => depthOf(alternative) < Infinity);
                if (depth >= maxDepth) {
                    const shallowest = Math.min(...options.map(depthOf));
                    options = options.filter((alternative) => depthOf(alternative) === shallowest);
                }
                walk(options[pick(options.length)]!, depth);
                break;
            }
            case "repeat": {
                const most = depth >= maxDepth || depthOf(node.item) === Infinity ? node.min : Math.min(node.max, node.min + maxRepeat);
                for (let count = node.min + pick(most - node.min + 1); count > 0; count--) walk(node.item, depth);
            }
        }
    };
    walk(start, 0);
    return out.join("");
}
