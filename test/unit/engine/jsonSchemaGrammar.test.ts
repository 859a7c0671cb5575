/**
 * The JSON Schema converter read back by an independent GBNF reader (test/support/gbnf.ts): what it samples from
 * each grammar must validate against the schema (Ajv with ajv-formats), and the values it must allow it allows.
 * llama.cpp's own parser reads every grammar here too.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsImport from "ajv-formats";
import { getLlama } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { integerRange, jsonSchemaGrammar, UnsupportedSchema } from "../../../src/engine/jsonSchemaGrammar.js";
import { gbnfMatches, parseGbnf, sampleGbnf } from "../../support/gbnf.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false }));
const everyGrammar: string[] = [];

function grammarOf(schema: unknown): string {
    const grammar = jsonSchemaGrammar(schema);
    everyGrammar.push(grammar);
    return grammar;
}

/** A seeded generator, so a failure repeats. */
function seeded(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state * 1664525 + 1013904223) >>> 0;
        return state / 2 ** 32;
    };
}

/** Samples texts from the schema's grammar; each must parse and validate. */
function expectSamplesValid(schema: object, count = 150): unknown[] {
    const grammar = parseGbnf(grammarOf(schema));
    const random = seeded(7);
    const validate = ajv.compile(schema);
    const values: unknown[] = [];
    for (let index = 0; index < count; index++) {
        const text = sampleGbnf(grammar, random);
        let value: unknown;
        expect(() => { value = JSON.parse(text); }, text).not.toThrow();
        expect(validate(value), `${text}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        values.push(value);
    }
    return values;
}

const accepts = (schema: object, text: string) => gbnfMatches(grammarOf(schema), text);

describe("numbers", () => {
    it.each([
        [0, 9], [-5, 5], [7, 7], [10, 99], [0, 1000], [-1100, -3], [105, 1100], [-999, 1], [1, 200], [99, 101]
    ])("integers from %d to %d: exactly those, of all from -1200 to 1200", (min, max) => {
        const grammar = parseGbnf(`root ::= ${integerRange(min, max)}`);
        for (let n = -1200; n <= 1200; n++) expect(gbnfMatches(grammar, String(n)), String(n)).toBe(n >= min && n <= max);
        expect(gbnfMatches(grammar, `0${Math.max(min, 1)}`), "no leading zero").toBe(false);
    });

    it.each([[105, null], [-37, null], [0, null], [null, 250], [null, -8], [null, 0], [1000, null]] as const)("integers from %s to %s, one bound", (min, max) => {
        const grammar = parseGbnf(`root ::= ${integerRange(min, max)}`);
        for (let n = -1200; n <= 1200; n++) expect(gbnfMatches(grammar, String(n)), String(n)).toBe((min === null || n >= min) && (max === null || n <= max));
        expect(gbnfMatches(grammar, "123456789012345")).toBe(max === null || max > 1e14);
    });

    it("takes exclusive and fractional bounds of integers", () => {
        const schema = { type: "integer", exclusiveMinimum: 2.5, exclusiveMaximum: 6 };
        expect(["3", "4", "5"].every((text) => accepts(schema, text))).toBe(true);
        expect(["2", "6", "3.0", "3e0"].some((text) => accepts(schema, text))).toBe(false);
    });

    it.each([
        [{ minimum: 0, maximum: 1 }], [{ exclusiveMinimum: 0, exclusiveMaximum: 1 }], [{ minimum: -2.5, maximum: 0.75 }],
        [{ exclusiveMinimum: 0.25, maximum: 0.75 }], [{ minimum: 0.125, maximum: 0.125 }], [{ minimum: 3 }], [{ exclusiveMaximum: -1.5 }],
        [{ minimum: -10, exclusiveMaximum: 10 }], [{ exclusiveMinimum: 99.5, maximum: 100 }]
    ])("numbers in %j: every eighth from -12 to 12 in or out as it should be, and samples valid", (bounds) => {
        const schema = { type: "number", ...bounds };
        const grammar = parseGbnf(grammarOf(schema));
        const validate = ajv.compile(schema);
        for (let eighths = -96; eighths <= 96; eighths++) {
            const value = eighths / 8;
            expect(gbnfMatches(grammar, String(value)), String(value)).toBe(validate(value));
        }
        const bound = (bounds as Record<string, number>)["exclusiveMinimum"] ?? (bounds as Record<string, number>)["minimum"];
        if (bound !== undefined && (bounds as Record<string, number>)["exclusiveMinimum"] === undefined) expect(gbnfMatches(grammar, String(bound))).toBe(true);
        expectSamplesValid(schema, 200);
    });

    it("writes unbounded numbers finite and integers whole", () => {
        for (const value of expectSamplesValid({ type: "array", items: { type: "number" }, maxItems: 8 }, 100).flat() as number[]) expect(Number.isFinite(value)).toBe(true);
        expect(accepts({ type: "integer" }, "5e-3")).toBe(false);
        expect(accepts({ type: "number" }, "1e999")).toBe(false);
    });
});

describe("strings", () => {
    it.each([
        ["^[A-Z]{2}-\\d{3,5}$", ["AB-123", "ZZ-12345"], ["AB-12", "ab-123", "AB-123456", "xAB-123"]],
        ["^(red|green|blue)(-[a-z]+)?$", ["red", "blue-sky"], ["reds", "Red", "green-"]],
        ["\\d", ["a1b", "7"], ["abc", ""]],
        ["^ab", ["ab", "abc"], ["xab"]],
        ["x$", ["x", "yx"], ["xy"]],
        ["^a.c$", ["abc", "a\"c", "a\\c", "a😀c"], ["a\nc", "ac"]],
        ["^[^a-z]+$", ["ABC", "\"\\", "\t"], ["aB"]],
        ["^\\w+@\\w+\\.(com|org)$", ["me@x.com"], ["me@x.net"]],
        ["^(?:\\+\\d{1,3} )?\\(\\d{3}\\) \\d{3}-\\d{4}$", ["(555) 123-4567", "+1 (555) 123-4567"], ["555-123-4567"]],
        ["^\\u00e9\\x41[\\u{1F600}]$", ["éA😀"], ["eA😀"]],
        ["^[\\s\\d]*$", [" 1\t2\n", ""], ["a"]],
        ["^(a|)$", ["a", ""], ["aa"]],
        ["^a{2}b*?c+$", ["aac", "aabbcc"], ["ac"]]
    ])("pattern %s: samples match it; %j are in, %j out", (pattern, good, bad) => {
        const schema = { type: "string", pattern };
        const regex = new RegExp(pattern, "u");
        for (const value of expectSamplesValid(schema, 100) as string[]) expect(regex.test(value), value).toBe(true);
        const grammar = parseGbnf(grammarOf(schema));
        for (const value of good) expect(gbnfMatches(grammar, JSON.stringify(value)), value).toBe(true);
        for (const value of bad) expect(gbnfMatches(grammar, JSON.stringify(value)), value).toBe(false);
    });

    it.each(["uuid", "date", "time", "date-time", "email", "uri"])("format %s: samples valid", (format) => {
        expectSamplesValid({ type: "string", format }, 150);
    });

    it("takes common values of each format", () => {
        const cases: Array<[string, string]> = [
            ["uuid", "123e4567-e89b-12d3-a456-426614174000"], ["date", "2024-02-28"], ["date", "2024-12-31"], ["time", "23:59:59Z"],
            ["time", "08:30:00.250+02:00"], ["date-time", "2026-12-01T16:56:11Z"], ["email", "first.last@mail.example.org"],
            ["uri", "https://example.com:8080/a/b?q=1&r=2#top"]
        ];
        for (const [format, value] of cases) expect(accepts({ type: "string", format }, JSON.stringify(value)), `${format} ${value}`).toBe(true);
        expect(accepts({ type: "string", format: "date" }, '"2024-02-30"'), "no 30 February").toBe(false);
    });

    it("counts length in characters, as JSON Schema does (escapes and astral characters are one)", () => {
        const schema = { type: "string", minLength: 2, maxLength: 3 };
        expect(accepts(schema, '"😀é"')).toBe(true);
        expect(accepts(schema, '"\\n\\u0041"')).toBe(true);
        expect(accepts(schema, '"\\ud83d\\ude00"'), "a surrogate pair in escapes would count two for one").toBe(false);
        expect(accepts(schema, '"abcd"')).toBe(false);
        expectSamplesValid(schema);
    });
});

describe("objects and arrays", () => {
    it("writes required properties first, always, then optional ones in order where chosen, nothing else by default", () => {
        const schema = { type: "object", properties: { a: { type: "integer" }, b: { type: "boolean" }, c: { type: "null" } }, required: ["b"] };
        const keys = new Set((expectSamplesValid(schema) as object[]).map((value) => Object.keys(value).join(",")));
        expect([...keys].every((key) => ["b", "b,a", "b,c", "b,a,c"].includes(key))).toBe(true);
        expect(keys.size).toBeGreaterThan(2);
        expect(accepts(schema, '{"b": true, "z": 1}')).toBe(false);
    });

    it("writes other properties by additionalProperties, never under a name the schema defines", () => {
        const schema = { type: "object", properties: { name: { type: "string", maxLength: 3 } }, required: ["name"], additionalProperties: { type: "integer", minimum: 0, maximum: 9 } };
        expectSamplesValid(schema);
        expect(accepts(schema, '{"name": "x", "age": 3}')).toBe(true);
        expect(accepts(schema, '{"name": "x", "age": 10}')).toBe(false);
        expect(accepts(schema, '{"name": "x", "name": 3}'), "a defined name again, as another property").toBe(false);
        expect(accepts(schema, '{"name": "x", "nam": 3, "names": 4}')).toBe(true);
        expectSamplesValid({ type: "object", additionalProperties: { type: "array", items: { type: "boolean" }, maxItems: 2 } });
    });

    it("holds item counts, tuples and items after them", () => {
        expectSamplesValid({ type: "array", items: { type: "integer" }, minItems: 2, maxItems: 4 });
        expectSamplesValid({ type: "array", prefixItems: [{ type: "string", maxLength: 2 }, { type: "boolean" }], items: { type: "null" }, minItems: 3, maxItems: 5 });
        expectSamplesValid({ type: "array", prefixItems: [{ const: 1 }, { const: 2 }], items: false });
        expect(accepts({ type: "array", minItems: 1, maxItems: 1, items: { type: "boolean" } }, "[true, false]")).toBe(false);
    });

    it("merges allOf, through references", () => {
        const schema = {
            $defs: { named: { type: "object", properties: { name: { type: "string", maxLength: 4 } }, required: ["name"] } },
            allOf: [{ $ref: "#/$defs/named" }, { properties: { age: { type: "integer", minimum: 0, maximum: 150 }, name: { minLength: 2 } }, required: ["age"] }]
        };
        for (const value of expectSamplesValid(schema) as Array<{ name: string }>) expect(value.name.length).toBeGreaterThanOrEqual(2);
        expectSamplesValid({ allOf: [{ type: "number", minimum: 0 }, { type: "integer", maximum: 20 }] });
        expectSamplesValid({ type: "object", properties: { kind: { const: "x" } }, anyOf: [{ properties: { a: { type: "boolean" } }, required: ["a"] }, { properties: { b: { type: "null" } }, required: ["b"] }] });
    });

    it("follows $ref anywhere in the document, recursive ones too", () => {
        expectSamplesValid({ type: "object", properties: { first: { type: "integer", minimum: 1, maximum: 5 }, second: { $ref: "#/properties/first" }, "a/b": { type: "boolean" }, third: { $ref: "#/properties/a~1b" } }, required: ["first", "second", "third"] });
        const tree = { $defs: { node: { type: "object", properties: { value: { type: "integer" }, children: { type: "array", items: { $ref: "#/$defs/node" }, maxItems: 2 } }, required: ["value"] } }, $ref: "#/$defs/node" };
        expectSamplesValid(tree, 60);
        expect(accepts(tree, '{"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]}')).toBe(true);
        expectSamplesValid({ definitions: { s: { type: "string", enum: ["a", "b"] } }, type: "array", items: { $ref: "#/definitions/s" }, maxItems: 3 });
    });

    it("writes enums and consts of any JSON value", () => {
        expectSamplesValid({ enum: [1, "two", null, [3], { four: 4 }] });
        expectSamplesValid({ type: ["string", "null"], maxLength: 2 });
    });
});

describe("refusals", () => {
    it.each([
        [{ type: "string", pattern: "^(?=a)a$" }, "lookaround", ""],
        [{ type: "string", pattern: "(a)\\1" }, "backreference", ""],
        [{ type: "string", pattern: "\\bword\\b" }, "word boundary", ""],
        [{ type: "string", pattern: "^\\p{L}+$" }, "Unicode property", ""],
        [{ type: "string", pattern: "([" }, "invalid regular expression", ""],
        [{ type: "string", pattern: "a^b" }, "anchor", ""],
        [{ type: "object", properties: { n: { type: "integer", multipleOf: 2 } } }, '"multipleOf"', "/properties/n"],
        [{ type: "array", uniqueItems: true }, '"uniqueItems"', ""],
        [{ not: { type: "null" } }, '"not"', ""],
        [{ if: { type: "string" }, then: { minLength: 1 } }, '"if"', ""],
        [{ type: "string", format: "ipv6" }, '"format": "ipv6"', ""],
        [{ type: "string", pattern: "^a+$", maxLength: 3 }, '"pattern" together with', ""],
        [{ type: "number", minimum: 0.1234567, maximum: 1 }, "decimals", ""],
        [{ type: "integer", minimum: 3, maximum: 1 }, "leaves no valid value", ""],
        [{ type: "array", minItems: 3, maxItems: 1 }, "leaves no valid value", ""],
        [{ enum: [] }, "leaves no valid value", ""],
        [{ $ref: "https://example.com/schema.json" }, '"$ref"', ""],
        [{ $ref: "#/$defs/missing" }, "not a valid schema", ""],
        [{ type: "nonsense" }, "not a valid schema", ""],
        [{ allOf: [{ type: "string" }, { type: "integer" }] }, "share no type", "/allOf/1"],
        [{ type: "object", properties: { a: {} }, minProperties: 2 }, '"minProperties"', ""],
        [{ type: "object", required: ["x"], additionalProperties: false }, '"required" naming "x"', ""]
    ])("refuses %j, naming %s at '%s'", (schema, construct, path) => {
        try {
            jsonSchemaGrammar(schema);
            expect.unreachable();
        } catch (error) {
            expect(error).toBeInstanceOf(UnsupportedSchema);
            expect((error as UnsupportedSchema).message).toContain(construct);
            expect((error as UnsupportedSchema).path).toBe(path);
        }
    });
});

describe("llama.cpp", () => {
    it("parses every grammar above", async () => {
        const llama = await getLlama({ build: "never", gpu: false, logLevel: "error" as never });
        expect(everyGrammar.length).toBeGreaterThan(40);
        for (const grammar of new Set(everyGrammar)) await expect(llama.createGrammar({ grammar }), grammar).resolves.toBeDefined();
    }, 60_000);
});
