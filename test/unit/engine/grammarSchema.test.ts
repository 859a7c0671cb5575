import { describe, expect, it } from "vitest";
import { toGrammarSchema, UnsupportedSchema } from "../../../src/engine/grammarSchema.js";

describe("toGrammarSchema", () => {
    it("keeps what a grammar enforces and drops annotations", () => {
        expect(toGrammarSchema({
            $schema: "https://json-schema.org/draft/2020-12/schema",
            title: "Weather",
            type: "object",
            properties: {
                city: { type: "string", description: "City name", maxLength: 40 },
                unit: { enum: ["c", "f"], default: "c" },
                days: { type: "array", items: { type: "integer" }, minItems: 1, maxItems: 7 }
            },
            required: ["city"],
            additionalProperties: false
        })).toEqual({
            type: "object",
            properties: {
                city: { type: "string", maxLength: 40 },
                unit: { enum: ["c", "f"] },
                days: { type: "array", items: { type: "integer" }, minItems: 1, maxItems: 7 }
            },
            required: ["city"],
            additionalProperties: false
        });
    });

    it("turns anyOf into oneOf and nullable object types into a choice", () => {
        expect(toGrammarSchema({ anyOf: [{ type: "string" }, { type: "null" }] })).toEqual({ oneOf: [{ type: "string" }, { type: "null" }] });
        expect(toGrammarSchema({ type: ["object", "null"], properties: { a: { type: "boolean" } } })).toEqual({
            oneOf: [{ type: "object", properties: { a: { type: "boolean" } } }, { type: "null", properties: { a: { type: "boolean" } } }]
        });
    });

    it("resolves local $defs and definitions references", () => {
        expect(toGrammarSchema({ definitions: { Item: { type: "string" } }, type: "array", items: { $ref: "#/definitions/Item" } }))
            .toEqual({ type: "array", items: { $ref: "#/$defs/Item" }, $defs: { Item: { type: "string" } } });
    });

    it("treats an empty schema as any JSON value", () => {
        expect(toGrammarSchema({})).toHaveProperty("oneOf");
    });

    it.each([
        [{ type: "string", pattern: "^a+$" }, '"pattern"', ""],
        [{ type: "object", properties: { age: { type: "integer", minimum: 0 } } }, '"minimum"', "/properties/age"],
        [{ allOf: [{ type: "string" }] }, '"allOf"', ""],
        [{ type: "string", format: "email" }, '"format": "email"', ""],
        [{ $ref: "https://example.com/schema.json" }, '"$ref"', ""],
        [{ type: "array", uniqueItems: true }, '"uniqueItems"', ""],
        [{ not: { type: "null" } }, '"not"', ""]
    ])("refuses %j, naming %s at '%s'", (schema, construct, path) => {
        try {
            toGrammarSchema(schema);
            expect.unreachable();
        } catch (error) {
            expect(error).toBeInstanceOf(UnsupportedSchema);
            expect((error as UnsupportedSchema).message).toContain(construct);
            expect((error as UnsupportedSchema).path).toBe(path);
        }
    });
});
