/**
 * JSON Schema to GBNF, for structured output and forced tool calls in every API (response_format, tool
 * parameters, Responses `text.format`, Ollama's `format`). The rule is soundness: every text the grammar allows
 * parses as JSON and validates against the schema (as Ajv with ajv-formats validates it). Keywords a grammar
 * cannot enforce are refused with UnsupportedSchema naming them, never dropped; where enforcing all of a
 * keyword's language would be costly, the grammar allows a well-defined part of it (only the properties a
 * schema names, strings of at most a length, a URI's common shape, ...).
 *
 * The construction follows llama.cpp's common/json-schema-to-grammar.cpp (rule names, whitespace, object
 * property order, integer ranges), with what that converter lets through closed: number ranges, unanchored and
 * unsupported patterns, JSON escapes inside pattern character classes, calendar dates, surrogate escapes.
 */
import { classCharacter, patternGrammar, unescapedJsonCharsExcept, UnsupportedPattern, type TextEncoding } from "./regexGrammar.js";

const reasons = {
    unsupported: "is not supported in structured output",
    unsatisfiable: "leaves no valid value",
    invalid: "is not a valid schema"
};

/** A schema the converter refuses: a construct no grammar here enforces, one no value satisfies, or no schema. */
export class UnsupportedSchema extends Error {
    constructor(readonly path: string, readonly construct: string, readonly reason: keyof typeof reasons = "unsupported") {
        super(`${construct} ${reasons[reason]}${path === "" ? "" : ` (at ${path})`}`);
    }
}

type Schema = Record<string, unknown>;

/** Keywords that describe without constraining: ignored. */
const annotations = new Set([
    "$schema", "$id", "$comment", "$anchor", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
    "strict", "name", "$defs", "definitions", "contentMediaType", "contentEncoding"
]);

const isRecord = (value: unknown): value is Schema => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A character of a JSON string: unescaped, anything but a quote, a backslash, a control character or a surrogate
 * (in positive ranges: llama.cpp decodes invalid UTF-8 to values a negated class would let through), or an escape
 * of one character (no surrogate halves, which would count two characters for one).
 */
export const jsonStringChar = '[\\x20-\\x21\\x23-\\x5B\\x5D-\\uD7FF\\uE000-\\U0010FFFF] | "\\\\" ["\\\\/bfnrt] | "\\\\u" ( [0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2} )';

const primitives: Record<string, { body: string; uses?: string[] }> = {
    space: { body: '| " " | "\\n"{1,2} [ \\t]{0,20}' },
    boolean: { body: '"true" | "false"' },
    null: { body: '"null"' },
    "integral-part": { body: '[0] | [1-9] [0-9]{0,15}' },
    // Finite numbers only (exponents of two digits) and whole integers (no exponent): 1E999 parses as Infinity.
    number: { body: '"-"? integral-part ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?', uses: ["integral-part"] },
    integer: { body: '"-"? integral-part', uses: ["integral-part"] },
    char: { body: jsonStringChar },
    string: { body: '"\\"" char* "\\""', uses: ["char"] },
    value: { body: "object | array | string | number | boolean | null", uses: ["object", "array", "string", "number", "boolean", "null"] },
    object: { body: '"{" space ( string space ":" space value ( "," space string space ":" space value )* space )? "}"', uses: ["space", "string", "value"] },
    array: { body: '"[" space ( value ( "," space value )* space )? "]"', uses: ["space", "value"] },
    // Formats, each a part of what ajv-formats accepts: real calendar days (29 February left out), times with a
    // zone (date-time needs one), URIs as scheme://host[:port][/path][?query][#fragment].
    date: { body: '[0-9]{4} "-" ( ( "0" [13578] | "1" [02] ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ) | ( "0" [469] | "11" ) "-" ( "0" [1-9] | [12] [0-9] | "30" ) | "02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) )' },
    time: { body: '( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,6} )? ( "Z" | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )' },
    "date-time": { body: 'date "T" time', uses: ["date", "time"] },
    uuid: { body: '[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}' },
    "email-label": { body: "[a-zA-Z0-9] ( [a-zA-Z0-9-]{0,30} [a-zA-Z0-9] )?" },
    email: { body: '[a-zA-Z0-9!#$%&\'*+/=?^_`{|}~-]{1,32} ( "." [a-zA-Z0-9!#$%&\'*+/=?^_`{|}~-]{1,32} ){0,3} "@" ( email-label "." ){1,3} email-label', uses: ["email-label"] },
    uri: {
        body: '[a-zA-Z] [a-zA-Z0-9+.-]{0,15} "://" [a-zA-Z0-9] [a-zA-Z0-9.-]{0,62} ( ":" [0-9]{1,5} )? ( "/" [a-zA-Z0-9._~!$&\'()*+,;=:@-]{0,32} ){0,8} ' +
            '( "?" [a-zA-Z0-9._~!$&\'()*+,;=:@/?-]{0,64} )? ( "#" [a-zA-Z0-9._~!$&\'()*+,;=:@/?-]{0,32} )?'
    }
};
/** Key characters written without an escape, so that the key read is the text written. */
const keyCharacters = '[\\x20-\\x21\\x23-\\x5B\\x5D-\\uD7FF\\uE000-\\U0010FFFF]';
const stringFormats = new Set(["date", "time", "date-time", "uuid", "email", "uri"]);

const literal = (text: string) => `"${text.replace(/[\r\n"\\]/g, (c) => ({ "\r": "\\r", "\n": "\\n", '"': '\\"', "\\": "\\\\" })[c]!)}"`;

/** `item` repeated min to max times (max null: unbounded), joined by `separator` when there is one. */
export function repetition(item: string, min: number, max: number | null, separator = ""): string {
    if (max === 0) return '""';
    if (min === 0 && max === 1) return `( ${item} )?`;
    if (separator === "") {
        if (max === null) return min === 0 ? `( ${item} )*` : min === 1 ? `( ${item} )+` : `( ${item} ){${min},}`;
        return min === max ? `( ${item} ){${min}}` : `( ${item} ){${min},${max}}`;
    }
    const rest = repetition(`${separator} ${item}`, Math.max(0, min - 1), max === null ? null : max - 1);
    const sequence = rest === '""' ? item : `${item} ${rest}`;
    return min === 0 ? `( ${sequence} )?` : sequence;
}

// ---- integer ranges (llama.cpp's build_min_max_int, on safe integers) -------------------------------------

function digitRange(from: string, to: string): string {
    return from === to ? `[${from}]` : `[${from}-${to}]`;
}
function moreDigits(min: number, max: number | null): string {
    if (max === 0) return '""';
    if (min === 1 && max === 1) return "[0-9]";
    return `[0-9]{${min}${max === min ? "" : `,${max ?? ""}`}}`;
}
const nextDigit = (digit: string, by: number) => String.fromCharCode(digit.charCodeAt(0) + by);

/** Digit strings of one length from `from` to `to` (both that length, from <= to). */
function uniformRange(from: string, to: string): string {
    let common = 0;
    while (common < from.length && from[common] === to[common]) common++;
    const parts: string[] = [];
    if (common > 0) parts.push(`"${from.slice(0, common)}"`);
    if (common < from.length) {
        const restLength = from.length - common - 1;
        const [a, b] = [from[common]!, to[common]!];
        if (restLength === 0) {
            parts.push(digitRange(a, b));
        } else {
            const fromRest = from.slice(common + 1);
            const toRest = to.slice(common + 1);
            const zeros = "0".repeat(restLength);
            const nines = "9".repeat(restLength);
            const alternatives: string[] = [];
            let toReached = false;
            if (fromRest === zeros) {
                alternatives.push(`${digitRange(a, nextDigit(b, -1))} ${moreDigits(restLength, restLength)}`);
            } else {
                alternatives.push(`[${a}] ( ${uniformRange(fromRest, nines)} )`);
                if (a < nextDigit(b, -1)) {
                    toReached = toRest === nines;
                    alternatives.push(`${digitRange(nextDigit(a, 1), toReached ? b : nextDigit(b, -1))} ${moreDigits(restLength, restLength)}`);
                }
            }
            if (!toReached) alternatives.push(`[${b}] ( ${uniformRange(zeros, toRest)} )`);
            parts.push(`( ${alternatives.join(" | ")} )`);
        }
    }
    return parts.join(" ");
}

/**
 * Integers from min to max (null: unbounded on that side) written without leading zeros; unbounded sides allow
 * up to `digits` digits. Bounded ranges are llama.cpp's; one-sided ones are not its recursion, which drops the
 * zeros of a minimum's tail (its minimum 105 allows 15).
 */
export function integerRange(min: number | null, max: number | null, digits = 16): string {
    if (min === null && max === null) throw new Error("integerRange needs a bound");
    if (min !== null && max !== null) {
        if (min < 0 && max < 0) return `"-" ( ${integerRange(-max, -min, digits)} )`;
        const parts: string[] = [];
        if (min < 0) {
            parts.push(`"-" ( ${integerRange(1, -min, digits)} )`);
            min = 0;
        }
        let from = String(min);
        const to = String(max);
        for (let length = from.length; length < to.length; length++) {
            parts.push(uniformRange(from, "9".repeat(length)));
            from = `1${"0".repeat(length)}`;
        }
        parts.push(uniformRange(from, to));
        return parts.join(" | ");
    }
    if (max !== null) return max >= 0 ? `"-" [1-9] ${moreDigits(0, digits - 1)} | ${integerRange(0, max, digits)}` : `"-" ( ${integerRange(-max, null, digits)} )`;
    if (min! < 0) return `"-" ( ${integerRange(1, -min!, digits)} ) | ${integerRange(0, null, digits)}`;
    const text = String(min);
    const longer = text.length < digits ? ` | [1-9] ${moreDigits(text.length, digits - 1)}` : "";
    return `${uniformRange(text, "9".repeat(text.length))}${longer}`;
}

// ---- number ranges -------------------------------------------------------------------------------------------

/** The most significant digits a bounded number has: doubles tell apart any two decimals of 15 digits. */
const significantDigits = 15;
const maxFractionDigits = 6;

type Bound = { value: number; exclusive: boolean };

/** A non-negative decimal's integer part and fraction digits (without trailing zeros). */
function decimalDigits(value: number, fractionDigits: number): [number, string] {
    const [whole, fraction = ""] = value.toFixed(fractionDigits).split(".");
    return [Number(whole), fraction.replace(/0+$/, "")];
}

/**
 * Fraction digit strings of at most n digits, as a choice of non-empty ones and whether the empty string (no
 * fraction) is among them: "." must be followed by a digit, so the two are written apart.
 */
type FractionDigits = { empty: boolean; nonEmpty: string[] };
const noFraction: FractionDigits = { empty: false, nonEmpty: [] };

/** `first` then the digit strings of `rest`. */
function startingWith(first: string, rest: FractionDigits): string[] {
    return [...(rest.empty ? [`"${first}"`] : []), ...(rest.nonEmpty.length > 0 ? [`"${first}" ( ${rest.nonEmpty.join(" | ")} )`] : [])];
}

/** Digit strings s of at most n digits with 0.s at least (or above) 0.d. */
function fractionAtLeast(d: string, exclusive: boolean, n: number): FractionDigits {
    if (d === "") {
        if (!exclusive) return { empty: true, nonEmpty: n === 0 ? [] : [`[0-9]{1,${n}}`] };
        if (n === 0) return noFraction;
        return { empty: false, nonEmpty: [`[1-9] ${moreDigits(0, n - 1)}`, ...startingWith("0", fractionAtLeast("", true, n - 1))] };
    }
    if (n === 0) return noFraction;
    const first = d[0]!;
    return {
        empty: false,
        nonEmpty: [...(first < "9" ? [`${digitRange(nextDigit(first, 1), "9")} ${moreDigits(0, n - 1)}`] : []), ...startingWith(first, fractionAtLeast(d.slice(1), exclusive, n - 1))]
    };
}

/** Digit strings s of at most n digits with 0.s at most (or below) 0.d. */
function fractionAtMost(d: string, exclusive: boolean, n: number): FractionDigits {
    if (d === "") return exclusive ? noFraction : { empty: true, nonEmpty: n === 0 ? [] : [`"0"{1,${n}}`] };
    if (n === 0) return { empty: true, nonEmpty: [] };
    const first = d[0]!;
    return {
        empty: true,
        nonEmpty: [...(first > "0" ? [`${digitRange("0", nextDigit(first, -1))} ${moreDigits(0, n - 1)}`] : []), ...startingWith(first, fractionAtMost(d.slice(1), exclusive, n - 1))]
    };
}

/** Digit strings s of at most n digits with 0.low <= 0.s <= 0.high (either end exclusive), low <= high. */
function fractionBetween(low: string, lowExclusive: boolean, high: string, highExclusive: boolean, n: number): FractionDigits {
    if (low === high) {
        if (lowExclusive || highExclusive) return noFraction;
        if (low === "") return fractionAtMost("", false, n);
        return n >= low.length ? { empty: false, nonEmpty: [`"${low}" "0"{0,${n - low.length}}`] } : noFraction;
    }
    const empty = low === "" && !lowExclusive;
    if (n === 0) return { empty, nonEmpty: [] };
    const [a, b] = [low[0] ?? "0", high[0]!];
    if (a === b) return { empty, nonEmpty: startingWith(a, fractionBetween(low.slice(1), lowExclusive, high.slice(1), highExclusive, n - 1)) };
    return {
        empty,
        nonEmpty: [
            ...startingWith(a, fractionAtLeast(low.slice(1), lowExclusive, n - 1)),
            ...(nextDigit(a, 1) <= nextDigit(b, -1) ? [`${digitRange(nextDigit(a, 1), nextDigit(b, -1))} ${moreDigits(0, n - 1)}`] : []),
            ...startingWith(b, fractionAtMost(high.slice(1), highExclusive, n - 1))
        ]
    };
}

/** An integer part then a fraction from `fraction`, or null when `fraction` holds nothing. */
function withFraction(whole: string, fraction: FractionDigits): string | null {
    const dotted = fraction.nonEmpty.length === 0 ? null : `"." ( ${fraction.nonEmpty.join(" | ")} )`;
    if (dotted === null) return fraction.empty ? whole : null;
    return fraction.empty ? `${whole} ( ${dotted} )?` : `${whole} ${dotted}`;
}

/**
 * Non-negative decimals from `low` to `high` (null: no upper bound), without exponent: an integer part then at
 * most `fractionDigits` digits; null when there is none.
 */
function magnitudeRange(low: Bound, high: Bound | null, integerDigits: number, fractionDigits: number): string | null {
    const n = fractionDigits;
    const [lowWhole, lowFraction] = decimalDigits(low.value, n);
    const anyFraction = n === 0 ? "" : ` ( "." [0-9]{1,${n}} )?`;
    const alternatives: Array<string | null> = [];
    if (high === null) {
        alternatives.push(withFraction(`"${lowWhole}"`, fractionAtLeast(lowFraction, low.exclusive, n)));
        alternatives.push(`( ${integerRange(lowWhole + 1, null, integerDigits)} )${anyFraction}`);
    } else {
        const [highWhole, highFraction] = decimalDigits(high.value, n);
        if (lowWhole === highWhole) {
            alternatives.push(withFraction(`"${lowWhole}"`, fractionBetween(lowFraction, low.exclusive, highFraction, high.exclusive, n)));
        } else {
            alternatives.push(withFraction(`"${lowWhole}"`, fractionAtLeast(lowFraction, low.exclusive, n)));
            if (lowWhole + 1 <= highWhole - 1) alternatives.push(`( ${integerRange(lowWhole + 1, highWhole - 1, integerDigits)} )${anyFraction}`);
            alternatives.push(withFraction(`"${highWhole}"`, fractionAtMost(highFraction, high.exclusive, n)));
        }
    }
    const present = alternatives.filter((alternative): alternative is string => alternative !== null);
    return present.length === 0 ? null : present.join(" | ");
}

/** Decimals in a range (either bound may be missing), or null when none is. */
export function numberRange(low: Bound | null, high: Bound | null, path: string): string | null {
    const largest = Math.max(Math.abs(low?.value ?? 0), Math.abs(high?.value ?? 0));
    if (largest >= 10 ** significantDigits) throw new UnsupportedSchema(path, `a number bound beyond ±1e${significantDigits}`);
    const boundDigits = String(Math.floor(largest)).length;
    const integerDigits = Math.max(boundDigits, low === null || high === null ? 9 : 1);
    const fractionDigits = Math.min(maxFractionDigits, significantDigits - integerDigits);
    for (const bound of [low, high]) {
        if (bound !== null && Number(bound.value.toFixed(fractionDigits)) !== bound.value) {
            throw new UnsupportedSchema(path, `a number bound with more than ${fractionDigits} decimals`);
        }
    }
    const parts: string[] = [];
    const zero: Bound = { value: 0, exclusive: false };
    // Negative numbers: their magnitudes, bounds swapped, never 0 itself ("-0" is left to the positive side).
    if (low === null || low.value < 0) {
        const magnitudeHigh = low === null ? null : { value: -low.value, exclusive: low.exclusive };
        const magnitudeLow = high !== null && high.value < 0 ? { value: -high.value, exclusive: high.exclusive } : { value: 0, exclusive: true };
        const negative = magnitudeRange(magnitudeLow, magnitudeHigh, integerDigits, fractionDigits);
        if (negative !== null) parts.push(`"-" ( ${negative} )`);
    }
    if (high === null || high.value >= 0) {
        const positiveLow = low !== null && low.value >= 0 ? low : zero;
        if (high === null || high.value > positiveLow.value || (high.value === positiveLow.value && !high.exclusive && !positiveLow.exclusive)) {
            const positive = magnitudeRange(positiveLow, high, integerDigits, fractionDigits);
            if (positive !== null) parts.push(positive);
        }
    }
    return parts.length === 0 ? null : parts.join(" | ");
}

// ---- the converter ------------------------------------------------------------------------------------------

const isNumberLike = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const typeKeywords: Record<string, string[]> = {
    object: ["properties", "required", "additionalProperties", "minProperties", "maxProperties"],
    array: ["items", "prefixItems", "minItems", "maxItems"],
    string: ["minLength", "maxLength", "pattern", "format"],
    number: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
};
const allTypes = ["object", "array", "string", "number", "integer", "boolean", "null"];

function typeOfValue(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
}

/** Unescapes a JSON Pointer's tokens (RFC 6901), after the URI fragment's percent-encoding. */
function pointerTokens(pointer: string): string[] {
    if (pointer === "") return [];
    return decodeURIComponent(pointer).slice(1).split("/").map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

class SchemaConverter {
    private readonly rules = new Map<string, string>();
    private readonly refRules = new Map<string, string>();

    constructor(private readonly document: unknown) {}

    format(): string {
        return [...this.rules].map(([name, body]) => `${name} ::= ${body}`).join("\n");
    }

    define(name: string, body: string): void {
        this.rules.set(name, body);
    }

    /** A rule for `body` under a name like `hint`; the same body under the same hint is one rule. */
    private rule(hint: string, body: string): string {
        let base = hint.replace(/[^a-zA-Z0-9-]+/g, "-").replace(/^[^a-zA-Z]*/, "") || "schema";
        if (base in primitives || base === "root") base = `${base}-`;
        let name = base;
        for (let index = 0; this.rules.has(name) && this.rules.get(name) !== body; index++) name = `${base}${index}`;
        this.rules.set(name, body);
        return name;
    }

    private primitive(name: string): string {
        if (!this.rules.has(name)) {
            const { body, uses = [] } = primitives[name]!;
            this.rules.set(name, body);
            for (const used of uses) this.primitive(used);
        }
        return name;
    }

    /** The schema a local reference points at: `#`, `#/$defs/...`, any JSON pointer into the document. */
    private resolve(reference: unknown, path: string): { pointer: string; target: unknown } {
        if (typeof reference !== "string" || !reference.startsWith("#")) {
            throw new UnsupportedSchema(path, `"$ref": ${JSON.stringify(reference)} (only references inside the schema, #/..., are)`);
        }
        const pointer = reference.slice(1);
        let target: unknown = this.document;
        for (const token of pointerTokens(pointer)) {
            target = isRecord(target) || Array.isArray(target) ? (target as Record<string, unknown>)[token] : undefined;
            if (target === undefined) throw new UnsupportedSchema(path, `"$ref": ${JSON.stringify(reference)} (it points at nothing)`, "invalid");
        }
        return { pointer, target };
    }

    /** A GBNF expression for the JSON texts valid against `schema`. */
    expression(schema: unknown, path: string, hint: string): string {
        if (schema === true) return this.primitive("value");
        if (!isRecord(schema)) throw schema === false ? new UnsupportedSchema(path, "a false schema", "unsatisfiable") : new UnsupportedSchema(path, `a schema of type ${typeof schema}`, "invalid");
        if (schema["$ref"] !== undefined) {
            const siblings = Object.keys(schema).filter((key) => key !== "$ref" && !annotations.has(key));
            if (siblings.length > 0) {
                const { $ref, ...rest } = schema;
                return this.expression({ allOf: [{ $ref }, rest] }, path, hint);
            }
            return this.reference(schema["$ref"], path);
        }
        if (schema["allOf"] !== undefined) return this.expression(this.mergeAllOf(schema, path), path, hint);
        for (const keyword of ["anyOf", "oneOf"] as const) {
            if (schema[keyword] === undefined) continue;
            const options = schema[keyword];
            if (!Array.isArray(options) || options.length === 0) throw new UnsupportedSchema(path, `an empty or malformed "${keyword}"`, "invalid");
            const { [keyword]: _, ...rest } = schema;
            const constrained = Object.keys(rest).some((key) => !annotations.has(key));
            // Keywords beside anyOf apply to each option: {type: "object", anyOf: [...]}.
            const alternatives = options.map((option, index) => this.expression(constrained ? { allOf: [rest, option] } : option, `${path}/${keyword}/${index}`, `${hint}-${index}`));
            return this.rule(hint, alternatives.join(" | "));
        }
        for (const key of Object.keys(schema)) {
            if (!annotations.has(key) && !knownKeywords.has(key)) throw new UnsupportedSchema(path, `"${key}"`);
        }
        if (schema["const"] !== undefined || schema["enum"] !== undefined) return this.constants(schema, path, hint);
        const types = this.types(schema, path);
        if (types.length > 1) return this.rule(hint, types.map((type) => this.typed(schema, type, path, `${hint}-${type}`)).join(" | "));
        return this.typed(schema, types[0]!, path, hint);
    }

    /** GBNF for the bare text of a string schema: its values as they are, none holding "<". */
    bareString(schema: unknown, path: string): string {
        if (!isRecord(schema)) throw new UnsupportedSchema(path, "a bare string argument without a string schema");
        const keywords = Object.keys(schema).filter((key) => !annotations.has(key) && key !== "type");
        const unsupported = keywords.find((key) => !["minLength", "maxLength", "pattern", "format", "enum", "const"].includes(key));
        if (unsupported !== undefined) throw new UnsupportedSchema(path, `"${unsupported}" on a string argument written as bare text`);
        if (schema["enum"] !== undefined || schema["const"] !== undefined) {
            const values = schema["const"] !== undefined ? [schema["const"]] : schema["enum"];
            if (!Array.isArray(values)) throw new UnsupportedSchema(path, '"enum" that is not an array', "invalid");
            const texts = values.filter((value): value is string => typeof value === "string" && !value.includes("<"));
            if (texts.length === 0) throw new UnsupportedSchema(path, 'an "enum" with no string a bare argument can hold', "unsatisfiable");
            return texts.map((text) => (text === "" ? '""' : literal(text))).join(" | ");
        }
        return this.stringText(schema, path, "bare");
    }

    private reference(reference: unknown, path: string): string {
        const { pointer, target } = this.resolve(reference, path);
        let name = this.refRules.get(pointer);
        if (name === undefined) {
            name = this.rule(`ref${pointer.replace(/[^a-zA-Z0-9-]+/g, "-")}`, '""');
            this.refRules.set(pointer, name);
            // Defined after it is named: a schema that refers to itself (trees, linked lists) refers to this rule.
            this.rules.set(name, this.expression(target, `#${pointer}`, name));
        }
        return name;
    }

    /** The types a schema allows: its `type`, else the type its keywords are about, else all. */
    private types(schema: Schema, path: string): string[] {
        const declared = schema["type"];
        if (declared === undefined) {
            const implied = Object.entries(typeKeywords).filter(([, keywords]) => keywords.some((keyword) => schema[keyword] !== undefined)).map(([type]) => type);
            if (implied.length > 1) throw new UnsupportedSchema(path, `keywords of several types (${implied.join(", ")}) without "type"`);
            return implied.length === 1 ? implied : allTypes;
        }
        const types = Array.isArray(declared) ? declared : [declared];
        if (types.length === 0 || types.some((type) => typeof type !== "string" || !allTypes.includes(type))) {
            throw new UnsupportedSchema(path, `"type": ${JSON.stringify(declared)}`, "invalid");
        }
        // "number" already holds the integers.
        return types.includes("number") ? (types as string[]).filter((type) => type !== "integer") : types as string[];
    }

    private constants(schema: Schema, path: string, hint: string): string {
        const values = schema["const"] !== undefined ? [schema["const"]] : schema["enum"];
        if (!Array.isArray(values)) throw new UnsupportedSchema(path, '"enum" that is not an array', "invalid");
        const others = Object.keys(schema).filter((key) => !annotations.has(key) && key !== "enum" && key !== "const" && key !== "type");
        if (others.length > 0) throw new UnsupportedSchema(path, `"${others[0]}" beside "enum" or "const"`);
        let allowed = values;
        if (schema["const"] !== undefined && schema["enum"] !== undefined) {
            allowed = (schema["enum"] as unknown[]).filter((value) => JSON.stringify(value) === JSON.stringify(schema["const"]));
        }
        if (schema["type"] !== undefined) {
            const types = this.types(schema, path);
            allowed = allowed.filter((value) => types.includes(typeOfValue(value)) || (typeOfValue(value) === "integer" && types.includes("number")));
        }
        if (allowed.length === 0) throw new UnsupportedSchema(path, `an "enum" or "const" whose values the rest of the schema excludes`, "unsatisfiable");
        return this.rule(hint, allowed.map((value) => literal(JSON.stringify(value))).join(" | "));
    }

    private typed(schema: Schema, type: string, path: string, hint: string): string {
        switch (type) {
            case "null": return this.primitive("null");
            case "boolean": return this.primitive("boolean");
            case "integer": return this.integer(schema, path, hint);
            case "number": return this.number(schema, path, hint);
            case "string": return this.string(schema, path, hint);
            case "array": return this.array(schema, path, hint);
            default: return this.object(schema, path, hint);
        }
    }

    private bounds(schema: Schema, path: string): { low: Bound | null; high: Bound | null } {
        for (const key of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
            if (schema[key] !== undefined && !isNumberLike(schema[key])) throw new UnsupportedSchema(path, `"${key}": ${JSON.stringify(schema[key])} (a number is)`, "invalid");
        }
        const pick = (inclusive: unknown, exclusive: unknown, tighter: (a: number, b: number) => boolean): Bound | null => {
            const candidates: Bound[] = [
                ...(isNumberLike(inclusive) ? [{ value: inclusive, exclusive: false }] : []),
                ...(isNumberLike(exclusive) ? [{ value: exclusive, exclusive: true }] : [])
            ];
            return candidates.reduce<Bound | null>((best, bound) => (best === null || tighter(bound.value, best.value) || (bound.value === best.value && bound.exclusive) ? bound : best), null);
        };
        const low = pick(schema["minimum"], schema["exclusiveMinimum"], (a, b) => a > b);
        const high = pick(schema["maximum"], schema["exclusiveMaximum"], (a, b) => a < b);
        if (low !== null && high !== null && (low.value > high.value || (low.value === high.value && (low.exclusive || high.exclusive)))) {
            throw new UnsupportedSchema(path, `the range from ${low.value} to ${high.value}`, "unsatisfiable");
        }
        return { low, high };
    }

    private integer(schema: Schema, path: string, hint: string): string {
        const { low, high } = this.bounds(schema, path);
        if (low === null && high === null) return this.primitive("integer");
        const min = low === null ? null : low.exclusive ? Math.floor(low.value) + 1 : Math.ceil(low.value);
        const max = high === null ? null : high.exclusive ? Math.ceil(high.value) - 1 : Math.floor(high.value);
        for (const bound of [min, max]) {
            if (bound !== null && !Number.isSafeInteger(bound)) throw new UnsupportedSchema(path, "an integer bound beyond ±2^53");
        }
        if (min !== null && max !== null && min > max) throw new UnsupportedSchema(path, `the integer range from ${min} to ${max}`, "unsatisfiable");
        return this.rule(hint, integerRange(min, max));
    }

    private number(schema: Schema, path: string, hint: string): string {
        const { low, high } = this.bounds(schema, path);
        if (low === null && high === null) return this.primitive("number");
        const range = numberRange(low, high, path);
        if (range === null) throw new UnsupportedSchema(path, "the number range", "unsatisfiable");
        return this.rule(hint, range);
    }

    private count(schema: Schema, key: string, path: string): number | null {
        const value = schema[key];
        if (value === undefined) return null;
        if (!Number.isSafeInteger(value) || (value as number) < 0) throw new UnsupportedSchema(path, `"${key}": ${JSON.stringify(value)} (a non-negative integer is)`, "invalid");
        return value as number;
    }

    private countRange(schema: Schema, minKey: string, maxKey: string, path: string, limit = 100_000): [number, number | null] {
        const min = this.count(schema, minKey, path) ?? 0;
        const max = this.count(schema, maxKey, path);
        if (max !== null && min > max) throw new UnsupportedSchema(path, `"${minKey}" ${min} above "${maxKey}" ${max}`, "unsatisfiable");
        if (min > limit || (max ?? 0) > limit) throw new UnsupportedSchema(path, `"${max !== null && max > limit ? maxKey : minKey}" above ${limit}`);
        return [min, max];
    }

    private string(schema: Schema, path: string, hint: string): string {
        if (["minLength", "maxLength", "pattern", "format"].every((key) => schema[key] === undefined)) return this.primitive("string");
        return this.rule(hint, `"\\"" ${this.stringText(schema, path, "json")} "\\""`);
    }

    /** The text of a string schema's values, written as `encoding` says (for JSON, what goes between the quotes). */
    private stringText(schema: Schema, path: string, encoding: TextEncoding): string {
        const [minLength, maxLength] = this.countRange(schema, "minLength", "maxLength", path, 10_000);
        const lengthBound = schema["minLength"] !== undefined || schema["maxLength"] !== undefined;
        const { pattern, format } = schema;
        if (pattern !== undefined && format !== undefined) throw new UnsupportedSchema(path, '"pattern" together with "format"');
        if ((pattern !== undefined || format !== undefined) && lengthBound) {
            throw new UnsupportedSchema(path, `"${pattern !== undefined ? "pattern" : "format"}" together with "minLength" or "maxLength"`);
        }
        const char = encoding === "json" ? this.primitive("char") : this.rule("bare-char", "[\\x00-\\x3B\\x3D-\\uD7FF\\uE000-\\U0010FFFF]");
        if (pattern !== undefined) {
            if (typeof pattern !== "string") throw new UnsupportedSchema(path, '"pattern" that is not a string', "invalid");
            try {
                return `( ${patternGrammar(pattern, char, encoding)} )`;
            } catch (error) {
                if (error instanceof UnsupportedPattern) throw new UnsupportedSchema(path, `"pattern": ${JSON.stringify(pattern)} (${error.message})`);
                throw error;
            }
        }
        if (format !== undefined) {
            if (typeof format !== "string" || !stringFormats.has(format)) throw new UnsupportedSchema(path, `"format": ${JSON.stringify(format)}`);
            return this.primitive(format);
        }
        return repetition(char, minLength, maxLength);
    }

    private array(schema: Schema, path: string, hint: string): string {
        for (const key of ["uniqueItems", "contains"]) {
            if (schema[key] !== undefined && schema[key] !== false) throw new UnsupportedSchema(path, `"${key}"`);
        }
        const [minItems, maxItems] = this.countRange(schema, "minItems", "maxItems", path);
        const prefix = schema["prefixItems"] ?? (Array.isArray(schema["items"]) ? schema["items"] : []);
        if (!Array.isArray(prefix)) throw new UnsupportedSchema(path, '"prefixItems" that is not an array', "invalid");
        const itemsSchema = Array.isArray(schema["items"]) ? schema["additionalItems"] : schema["items"];
        const space = this.primitive("space");
        const comma = `"," ${space}`;
        // A tuple is written whole (up to maxItems); items after it only where the schema allows them.
        const tupleLength = Math.min(prefix.length, maxItems ?? prefix.length);
        const tuple = prefix.slice(0, tupleLength).map((item, index) => this.expression(item, `${path}/prefixItems/${index}`, `${hint}-${index}`));
        const restMin = Math.max(0, minItems - tupleLength);
        const restMax = maxItems === null ? null : maxItems - tupleLength;
        const restAllowed = itemsSchema !== false && !(itemsSchema === undefined && prefix.length > 0) && restMax !== 0;
        if (!restAllowed && restMin > 0) throw new UnsupportedSchema(path, `"minItems" ${minItems} with ${prefix.length} tuple items and no more allowed`, "unsatisfiable");
        const item = restAllowed ? (itemsSchema === undefined ? this.primitive("value") : this.expression(itemsSchema, `${path}/items`, `${hint}-item`)) : null;
        if (tuple.length === 0) {
            if (item === null) return this.rule(hint, `"[" ${space} "]"`);
            const items = repetition(item, Math.max(1, restMin), restMax, comma);
            return this.rule(hint, restMin > 0 ? `"[" ${space} ${items} ${space} "]"` : `"[" ${space} ( ${items} ${space} )? "]"`);
        }
        let body = tuple.join(` ${comma} `);
        if (item !== null) {
            const more = `${comma} ${repetition(item, Math.max(1, restMin), restMax, comma)}`;
            body += restMin > 0 ? ` ${more}` : ` ( ${more} )?`;
        }
        return this.rule(hint, `"[" ${space} ${body} ${space} "]"`);
    }

    private object(schema: Schema, path: string, hint: string): string {
        for (const key of ["patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties"]) {
            if (schema[key] !== undefined) throw new UnsupportedSchema(path, `"${key}"`);
        }
        const properties = { ...(schema["properties"] ?? {}) as Schema };
        if (!isRecord(schema["properties"] ?? {})) throw new UnsupportedSchema(path, '"properties" that is not an object', "invalid");
        const required = schema["required"] ?? [];
        if (!Array.isArray(required) || required.some((name) => typeof name !== "string")) throw new UnsupportedSchema(path, '"required" that is not a list of names', "invalid");
        const additional = schema["additionalProperties"];
        // Left out, additionalProperties allows any other property; the grammar writes only those named (as llama.cpp).
        const additionalAllowed = additional !== undefined && additional !== false;
        for (const name of required as string[]) {
            if (name in properties) continue;
            if (!additionalAllowed) throw new UnsupportedSchema(path, `"required" naming "${name}", which "properties" does not define`);
            properties[name] = additional;
        }
        const names = Object.keys(properties);
        const requiredNames = names.filter((name) => required.includes(name));
        const [minProperties, maxProperties] = this.countRange(schema, "minProperties", "maxProperties", path);
        // Counting the properties written beyond the required ones would take a rule per count: refused.
        if (minProperties > requiredNames.length) throw new UnsupportedSchema(path, `"minProperties" ${minProperties} above the ${requiredNames.length} required properties`, "unsatisfiable");
        if (maxProperties !== null && (additionalAllowed || maxProperties < names.length)) {
            throw new UnsupportedSchema(path, `"maxProperties" ${maxProperties} below the ${additionalAllowed ? "unbounded number of" : names.length} properties the object may have`, "unsatisfiable");
        }
        const space = this.primitive("space");
        const comma = `"," ${space}`;
        const keyValue = (name: string) => {
            const value = this.expression(properties[name], `${path}/properties/${name}`, `${hint}-${name}`);
            return this.rule(`${hint}-${name}-kv`, `${literal(JSON.stringify(name))} ${space} ":" ${space} ${value}`);
        };
        const requiredPairs = requiredNames.map(keyValue);
        // Optional pairs in order, each one that may repeat (other properties) marked by a star.
        const optionalPairs = names.filter((name) => !required.includes(name)).map((name) => ({ pair: keyValue(name), repeats: false }));
        if (additionalAllowed) {
            const value = additional === true || (isRecord(additional) && Object.keys(additional).every((key) => annotations.has(key)))
                ? this.primitive("value") : this.expression(additional, `${path}/additionalProperties`, `${hint}-additional-value`);
            const key = names.length === 0 ? this.primitive("string") : this.rule(`${hint}-additional-key`, this.stringsOtherThan(names));
            optionalPairs.push({ pair: this.rule(`${hint}-additional-kv`, `${key} ${space} ":" ${space} ${value}`), repeats: true });
        }
        // Any of the optional pairs, in order: o1 (, o2)? (, o3)? | o2 (, o3)? | o3 (llama.cpp's layout).
        const following = (from: number): string => {
            if (from >= optionalPairs.length) return "";
            const { pair, repeats } = optionalPairs[from]!;
            const rest = following(from + 1);
            return this.rule(`${hint}-rest-${from}`, `( ${comma} ${pair} )${repeats ? "*" : "?"}${rest === "" ? "" : ` ${rest}`}`);
        };
        const startingAt = (index: number) => {
            const { pair, repeats } = optionalPairs[index]!;
            const rest = following(index + 1);
            return `${pair}${repeats ? ` ( ${comma} ${pair} )*` : ""}${rest === "" ? "" : ` ${rest}`}`;
        };
        const anyOptional = optionalPairs.length === 0 ? null : optionalPairs.map((_, index) => startingAt(index)).join(" | ");
        if (requiredPairs.length === 0) {
            return this.rule(hint, anyOptional === null ? `"{" ${space} "}"` : `"{" ${space} ( ( ${anyOptional} ) ${space} )? "}"`);
        }
        const body = requiredPairs.join(` ${comma} `) + (anyOptional === null ? "" : ` ( ${comma} ( ${anyOptional} ) )?`);
        return this.rule(hint, `"{" ${space} ${body} ${space} "}"`);
    }

    /**
     * A JSON string that is none of `strings` (llama.cpp's trie), for the keys of other properties beside named
     * ones. Written without escapes, so that the text read is the key compared.
     */
    private stringsOtherThan(strings: string[]): string {
        type Trie = { children: Map<number, Trie>; end: boolean };
        const root: Trie = { children: new Map(), end: false };
        for (const text of strings) {
            let node = root;
            for (const c of text) {
                const codePoint = c.codePointAt(0)!;
                if (!node.children.has(codePoint)) node.children.set(codePoint, { children: new Map(), end: false });
                node = node.children.get(codePoint)!;
            }
            node.end = true;
        }
        const keyChar = this.rule("key-char", keyCharacters);
        const visit = (node: Trie): string => {
            const writable = [...node.children].filter(([codePoint]) => codePoint >= 0x20 && codePoint !== 0x22 && codePoint !== 0x5c);
            const alternatives = writable.map(([codePoint, child]) =>
                `[${classCharacter(codePoint)}] ${child.children.size === 0 ? `${keyChar}+` : `( ${visit(child)} )${child.end ? "" : "?"}`}`);
            alternatives.push(`${unescapedJsonCharsExcept(writable.map(([codePoint]) => codePoint))} ${keyChar}*`);
            return alternatives.join(" | ");
        };
        return `"\\"" ( ${visit(root)} )${root.end ? "" : "?"} "\\""`;
    }

    /** allOf as one schema: constraints of every part together, or UnsupportedSchema where they cannot merge. */
    private mergeAllOf(schema: Schema, path: string): Schema {
        const { allOf, ...own } = schema;
        if (!Array.isArray(allOf) || allOf.length === 0) throw new UnsupportedSchema(path, 'an empty or malformed "allOf"', "invalid");
        let merged: Schema = this.resolved(own, path);
        for (const [index, part] of allOf.entries()) merged = mergeSchemas(merged, this.resolved(part, `${path}/allOf/${index}`), `${path}/allOf/${index}`);
        return merged;
    }

    /** A schema with its own $ref and allOf taken in, for merging. */
    resolved(schema: unknown, path: string, depth = 0): Schema {
        if (depth > 32) throw new UnsupportedSchema(path, "an allOf that refers to itself");
        if (schema === true) return {};
        if (!isRecord(schema)) throw schema === false ? new UnsupportedSchema(path, "a false schema", "unsatisfiable") : new UnsupportedSchema(path, `a schema of type ${typeof schema}`, "invalid");
        let result = schema;
        if (result["$ref"] !== undefined) {
            const { $ref, ...rest } = result;
            const { pointer, target } = this.resolve($ref, path);
            result = mergeSchemas(this.resolved(target, `#${pointer}`, depth + 1), rest, path);
        }
        if (result["allOf"] !== undefined) {
            const { allOf, ...rest } = result;
            if (!Array.isArray(allOf)) throw new UnsupportedSchema(path, 'a malformed "allOf"', "invalid");
            result = allOf.reduce<Schema>((merged, part, index) => mergeSchemas(merged, this.resolved(part, `${path}/allOf/${index}`, depth + 1), path), rest);
        }
        return result;
    }
}

const knownKeywords = new Set([
    "type", "enum", "const", "properties", "required", "additionalProperties", "minProperties", "maxProperties",
    "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties",
    "items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains",
    "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"
]);

/** Two schemas' constraints as one (allOf of both), for the keywords the converter knows. */
function mergeSchemas(a: Schema, b: Schema, path: string): Schema {
    const merged: Schema = { ...a };
    for (const [key, value] of Object.entries(b)) {
        if (annotations.has(key)) continue;
        const existing = merged[key];
        if (existing === undefined) {
            merged[key] = value;
            continue;
        }
        switch (key) {
            case "type": {
                const list = (types: unknown) => (Array.isArray(types) ? types : [types]) as string[];
                const both = list(existing).flatMap((type) => list(value).flatMap((other) =>
                    type === other ? [type] : (type === "number" && other === "integer") || (type === "integer" && other === "number") ? ["integer"] : []));
                if (both.length === 0) throw new UnsupportedSchema(path, "an allOf whose parts share no type", "unsatisfiable");
                merged[key] = both.length === 1 ? both[0] : [...new Set(both)];
                break;
            }
            case "properties": {
                const properties: Schema = { ...(existing as Schema) };
                for (const [name, schema] of Object.entries(value as Schema)) {
                    properties[name] = properties[name] === undefined ? schema : { allOf: [properties[name], schema] };
                }
                merged[key] = properties;
                break;
            }
            case "required": merged[key] = [...new Set([...(existing as string[]), ...(value as string[])])]; break;
            case "minimum": case "exclusiveMinimum": case "minLength": case "minItems": case "minProperties":
                merged[key] = Math.max(existing as number, value as number); break;
            case "maximum": case "exclusiveMaximum": case "maxLength": case "maxItems": case "maxProperties":
                merged[key] = Math.min(existing as number, value as number); break;
            case "enum": merged[key] = (existing as unknown[]).filter((item) => (value as unknown[]).some((other) => JSON.stringify(other) === JSON.stringify(item))); break;
            case "items": case "additionalProperties":
                merged[key] = existing === false || value === false ? false : { allOf: [existing, value] }; break;
            default:
                if (JSON.stringify(existing) !== JSON.stringify(value)) throw new UnsupportedSchema(path, `an allOf with two different "${key}"`);
        }
    }
    // additionalProperties of one part also rules out the properties only the other names.
    for (const [part, other] of [[a, b], [b, a]] as const) {
        if (part["additionalProperties"] === undefined || part["additionalProperties"] === true) continue;
        const own = Object.keys((part["properties"] ?? {}) as Schema);
        const foreign = Object.keys((other["properties"] ?? {}) as Schema).filter((name) => !own.includes(name));
        if (foreign.length > 0) throw new UnsupportedSchema(path, `an allOf whose part with "additionalProperties" does not name "${foreign[0]}"`);
    }
    return merged;
}

export type SchemaGrammarOptions = {
    /**
     * A string schema's text as is rather than as JSON (a tool argument an XML-style family writes bare): no
     * quotes, no escapes, never "<", which ends it.
     */
    bareString?: boolean;
    /** The entry rule's name. Default "root". */
    rule?: string;
    /** The document `$ref`s point into, when `schema` is a part of it (a tool's property). Default: `schema`. */
    document?: unknown;
};

/**
 * The GBNF of the JSON texts valid against `schema`, its entry rule named `options.rule`. Throws
 * UnsupportedSchema naming the first construct no grammar here enforces, or that no value satisfies.
 */
export function jsonSchemaGrammar(schema: unknown, options: SchemaGrammarOptions = {}): string {
    const converter = new SchemaConverter(options.document ?? schema);
    const entry = options.rule ?? "root";
    converter.define(entry, '""');
    converter.define(entry, options.bareString ? converter.bareString(schema, "") : converter.expression(schema, "", `${entry}-value`));
    return converter.format();
}

/** The properties of an object schema (through $ref and allOf), for families that write arguments one by one. */
export function objectProperties(schema: unknown): { properties: Array<[string, unknown]>; required: Set<string> } {
    const resolved = new SchemaConverter(schema).resolved(schema, "");
    const properties = isRecord(resolved["properties"]) ? Object.entries(resolved["properties"]) : [];
    return { properties, required: new Set(Array.isArray(resolved["required"]) ? resolved["required"] as string[] : []) };
}
