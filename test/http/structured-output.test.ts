/**
 * JSON Schema constructs enforced through llama.cpp's grammar engine, in every API that takes a schema: a
 * random-weight model at a high temperature writes whatever the grammar lets it, so every answer validating
 * (Ajv with ajv-formats) shows the grammar allows nothing else.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsImport from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false }));
const model = "tiny-chat";
const messages = [{ role: "user", content: "Fill in the form." }];

/** Every construct of the issue: numeric bounds, patterns, formats, lengths, item counts, allOf, $ref anywhere. */
const form = {
    type: "object",
    $defs: { level: { type: "object", properties: { n: { type: "integer", minimum: 0, maximum: 3 } }, required: ["n"] } },
    properties: {
        age: { type: "integer", minimum: 18, maximum: 120 },
        delta: { type: "integer", exclusiveMinimum: -5, exclusiveMaximum: 5 },
        ratio: { type: "number", minimum: 0, maximum: 1 },
        offset: { type: "number", exclusiveMinimum: -2.5, exclusiveMaximum: 0.75 },
        code: { type: "string", pattern: "^[A-Z]{2}-\\d{3,5}$" },
        color: { type: "string", pattern: "^(red|green|blue)(-[a-z]{1,4})?$" },
        id: { type: "string", format: "uuid" },
        day: { type: "string", format: "date" },
        at: { type: "string", format: "time" },
        stamp: { type: "string", format: "date-time" },
        mail: { type: "string", format: "email" },
        site: { type: "string", format: "uri" },
        name: { type: "string", minLength: 2, maxLength: 6 },
        tags: { type: "array", items: { enum: ["x", "y", "z"] }, minItems: 1, maxItems: 3 },
        again: { $ref: "#/properties/age" },
        both: { allOf: [{ $ref: "#/$defs/level" }, { properties: { on: { type: "boolean" } }, required: ["on"] }] }
    },
    additionalProperties: false
};
const withAllRequired = { ...form, required: Object.keys(form.properties) };

let server: RunningServer;
beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
});
afterAll(() => server.close());

async function post(path: string, body: object) {
    const response = await postJson(`${server.url}${path}`, { model, ...body });
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json();
}

function expectValid(schema: object, text: string) {
    const value = JSON.parse(text);
    expect(ajv.validate(schema, value), `${text}: ${ajv.errorsText()}`).toBe(true);
    return value;
}

describe("structured output", () => {
    it("holds every construct in response_format", async () => {
        for (const seed of [1, 2, 3]) {
            const body = await post("/v1/chat/completions", { messages, seed, temperature: 1.5, max_tokens: 2000, response_format: { type: "json_schema", json_schema: { name: "form", schema: withAllRequired } } });
            expect(body.choices[0].finish_reason).toBe("stop");
            expectValid(withAllRequired, body.choices[0].message.content);
        }
    });

    it("holds the arguments of a forced tool call", async () => {
        const parameters = { type: "object", properties: { code: form.properties.code, age: form.properties.age, ratio: form.properties.ratio }, required: ["code", "age", "ratio"] };
        for (const seed of [4, 5]) {
            const body = await post("/v1/chat/completions", {
                messages, seed, temperature: 1.5, max_tokens: 1000, tool_choice: "required",
                tools: [{ type: "function", function: { name: "register", parameters } }]
            });
            const [call] = body.choices[0].message.tool_calls;
            expectValid(parameters, call.function.arguments);
        }
    });

    it("holds text.format in the Responses API", async () => {
        // A small form: the Responses API takes no seed, and the whole one could run past the output limit at 1.5.
        const schema = { type: "object", properties: { code: form.properties.code, age: form.properties.age, ratio: form.properties.ratio, day: form.properties.day },
            required: ["code", "age", "ratio", "day"], additionalProperties: false };
        const body = await post("/v1/responses", { input: "Fill in the form.", temperature: 1.5, max_output_tokens: 2000, store: false, text: { format: { type: "json_schema", name: "form", schema } } });
        expect(body.status).toBe("completed");
        expectValid(schema, body.output.find((item: { type: string }) => item.type === "message").content[0].text);
    });

    it("answers 400 naming what no grammar here enforces", async () => {
        for (const [schema, construct] of [
            [{ type: "string", pattern: "^(?=a)b$" }, "lookaround"],
            [{ type: "array", uniqueItems: true }, '"uniqueItems"'],
            [{ type: "integer", multipleOf: 3 }, '"multipleOf"'],
            [{ type: "string", pattern: "^a$", maxLength: 3 }, '"pattern" together with'],
            [{ type: "integer", minimum: 5, maximum: 2 }, "the range from 5 to 2 leaves no valid value"],
            [{ $ref: "#/$defs/missing" }, "points at nothing) is not a valid schema"]
        ] as const) {
            const response = await postJson(`${server.url}/v1/chat/completions`, { model, messages, response_format: { type: "json_schema", json_schema: { name: "x", schema } } });
            expect(response.status).toBe(400);
            const { error } = await response.json();
            expect(error).toMatchObject({ code: "unsupported_schema", param: "response_format.json_schema.schema" });
            expect(error.message).toContain(construct);
        }
    });
});
