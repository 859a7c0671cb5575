/**
 * Translates a JSON Schema into the subset node-llama-cpp turns into a grammar, or says which construct it
 * cannot enforce. A schema is only accepted when every output the grammar allows validates against it, so
 * keywords that narrow values in ways a grammar cannot (patterns, numeric ranges, ...) are refused, not dropped.
 */

export type GrammarJsonSchema = Record<string, unknown>;

export class UnsupportedSchema extends Error {
    constructor(readonly path: string, readonly construct: string) {
        super(`${construct} is not supported in structured output${path === "" ? "" : ` (at ${path})`}`);
    }
}

/** Keywords that describe without constraining: dropped. */
const annotations = new Set([
    "$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
    "strict", "name"
]);
const immutableTypes = new Set(["string", "number", "integer", "boolean", "null"]);
const supportedFormats = new Set(["date-time", "time", "date"]);
const anyJsonValue: GrammarJsonSchema = {
    oneOf: [
        { type: ["string", "number", "boolean", "null"] },
        { type: "object", additionalProperties: true },
        { type: "array" }
    ]
};

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Throws UnsupportedSchema naming the first construct the grammar cannot enforce. */
export function toGrammarSchema(schema: unknown): GrammarJsonSchema {
    const definitions = new Map<string, unknown>();
    const collectDefinitions = (node: unknown) => {
        if (!isRecord(node)) return;
        for (const key of ["$defs", "definitions"]) {
            const defs = node[key];
            if (isRecord(defs)) for (const [name, definition] of Object.entries(defs)) definitions.set(name, definition);
        }
    };
    collectDefinitions(schema);
    const translatedDefinitions: Record<string, GrammarJsonSchema> = {};
    for (const [name, definition] of definitions) translatedDefinitions[name] = translate(definition, `/$defs/${name}`);
    const root = translate(schema, "");
    return Object.keys(translatedDefinitions).length > 0 ? { ...root, $defs: translatedDefinitions } : root;

    function translate(node: unknown, path: string): GrammarJsonSchema {
        if (node === true || (isRecord(node) && Object.keys(node).every((key) => annotations.has(key)))) return anyJsonValue;
        if (!isRecord(node)) throw new UnsupportedSchema(path, `a schema of type ${node === false ? "false" : typeof node}`);
        const result: GrammarJsonSchema = {};
        const nested = (key: string, value: unknown) => translate(value, `${path}/${key}`);
        for (const [key, value] of Object.entries(node)) {
            if (annotations.has(key) || key === "$defs" || key === "definitions") continue;
            switch (key) {
                case "type": {
                    const types = Array.isArray(value) ? value : [value];
                    if (types.some((type) => typeof type !== "string")) throw new UnsupportedSchema(path, `"type": ${JSON.stringify(value)}`);
                    if (types.length > 1 && !types.every((type) => immutableTypes.has(type as string))) {
                        // ["object", "null"] and friends: a choice between full schemas.
                        return { oneOf: types.map((type) => translate({ ...node, type }, path)) };
                    }
                    if (!types.every((type) => immutableTypes.has(type as string) || type === "object" || type === "array")) {
                        throw new UnsupportedSchema(path, `"type": ${JSON.stringify(value)}`);
                    }
                    result.type = value;
                    break;
                }
                case "const":
                case "enum": {
                    const values = key === "enum" ? value : [value];
                    if (!Array.isArray(values) || values.some((item) => item !== null && typeof item === "object")) {
                        throw new UnsupportedSchema(path, `"${key}" with object or array values`);
                    }
                    result[key] = value;
                    break;
                }
                case "anyOf":
                case "oneOf":
                    if (!Array.isArray(value) || value.length === 0) throw new UnsupportedSchema(path, `an empty "${key}"`);
                    result.oneOf = value.map((item, index) => nested(`${key}/${index}`, item));
                    break;
                case "properties":
                    if (!isRecord(value)) throw new UnsupportedSchema(path, `"properties" that is not an object`);
                    result.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, nested(`properties/${name}`, property)]));
                    break;
                case "additionalProperties":
                    result.additionalProperties = typeof value === "boolean" ? value : nested(key, value);
                    break;
                case "items":
                    if (Array.isArray(value)) result.prefixItems = value.map((item, index) => nested(`items/${index}`, item));
                    else if (value !== false) result.items = nested(key, value);
                    break;
                case "prefixItems":
                    if (!Array.isArray(value)) throw new UnsupportedSchema(path, `"prefixItems" that is not an array`);
                    result.prefixItems = value.map((item, index) => nested(`prefixItems/${index}`, item));
                    break;
                case "required":
                case "minItems":
                case "maxItems":
                case "minLength":
                case "maxLength":
                case "minProperties":
                case "maxProperties":
                    result[key] = value;
                    break;
                case "format":
                    if (!supportedFormats.has(value as string)) throw new UnsupportedSchema(path, `"format": ${JSON.stringify(value)}`);
                    result.format = value;
                    break;
                case "$ref": {
                    const name = typeof value === "string" ? /^#\/(?:\$defs|definitions)\/(.+)$/.exec(value)?.[1] : undefined;
                    if (name === undefined || !definitions.has(name)) throw new UnsupportedSchema(path, `"$ref": ${JSON.stringify(value)} (only #/$defs/... references are)`);
                    result.$ref = `#/$defs/${name}`;
                    break;
                }
                default:
                    throw new UnsupportedSchema(path, `"${key}"`);
            }
        }
        if (result.type === undefined && result.const === undefined && result.enum === undefined && result.oneOf === undefined && result.$ref === undefined) {
            if (result.properties !== undefined || result.additionalProperties !== undefined) return { type: "object", ...result };
            if (result.items !== undefined || result.prefixItems !== undefined) return { type: "array", ...result };
            return anyJsonValue;
        }
        return result;
    }
}
