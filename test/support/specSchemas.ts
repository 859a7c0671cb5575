/** LM Studio's own v0 response schemas (test/data), compiled with a draft 2020-12 validator. */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "vitest";

const ajv = new Ajv2020({ allErrors: true, strict: false });
const load = (name: string) =>
    ajv.compile(JSON.parse(readFileSync(new URL(`../data/lmstudio-v0-schemas/${name}.response.json`, import.meta.url), "utf8")));

export const specSchemas = {
    models: load("models"),
    model: load("model"),
    chatCompletion: load("chat-completions"),
    completion: load("completions"),
    embeddings: load("embeddings")
};

/** Asserts that `value` satisfies the spec schema, showing ajv's errors when it does not. */
export function expectSpecValid(validate: (typeof specSchemas)[keyof typeof specSchemas], value: unknown): void {
    const valid = validate(value);
    expect(validate.errors ?? [], JSON.stringify(value).slice(0, 2000)).toEqual([]);
    expect(valid).toBe(true);
}
