import { describe, expect, it } from "vitest";
import { ContextLengthExceeded, ModelNotFound } from "../../../src/errors.js";
import { parameterName, toHttpError, validationMessage } from "../../../src/http/errorEnvelope.js";

describe("parameterName", () => {
    it("spells JSON pointers the way OpenAI names parameters", () => {
        expect(parameterName("/messages/0/content/2/type")).toBe("messages[0].content[2].type");
        expect(parameterName("/temperature")).toBe("temperature");
        expect(parameterName("")).toBe("");
    });
});

describe("validationMessage", () => {
    it("names a missing field", () => {
        expect(validationMessage([{ instancePath: "", keyword: "required", params: { missingProperty: "model" }, message: "x" }], "body"))
            .toEqual({ message: "Missing required parameter: 'model'.", param: "model" });
    });

    it("joins every way a union field could have passed", () => {
        const issues = [
            { instancePath: "/stop", keyword: "type", params: {}, message: "must be string" },
            { instancePath: "/stop", keyword: "type", params: {}, message: "must be array" },
            { instancePath: "/stop", keyword: "anyOf", params: {}, message: "must match a schema in anyOf" }
        ];
        expect(validationMessage(issues, "body")).toEqual({ message: "Invalid value for 'stop': must be string or must be array.", param: "stop" });
    });

    it("lists allowed values of an enum", () => {
        const issues = [{ instancePath: "/messages/0/role", keyword: "enum", params: { allowedValues: ["user", "assistant"] }, message: "x" }];
        expect(validationMessage(issues, "body").message).toBe("Invalid value for 'messages[0].role': must be one of: user, assistant.");
    });
});

describe("toHttpError", () => {
    it("keeps a domain error's status, type, code and param", () => {
        expect(toHttpError(new ContextLengthExceeded(5000, 4096, "messages"))).toMatchObject({
            status: 400, unexpected: false, body: { error: { type: "invalid_request_error", code: "context_length_exceeded", param: "messages" } }
        });
        expect(toHttpError(new ModelNotFound("x", ["a"])).status).toBe(404);
    });

    it("hides the message and stack of an unexpected error", () => {
        const result = toHttpError(new TypeError("secret internal detail"));
        expect(result).toEqual({
            status: 500, unexpected: true,
            body: { error: { message: "Internal server error.", type: "server_error", param: null, code: "internal_error" } }
        });
    });

    it("keeps the status of Fastify's client errors", () => {
        const tooLarge = Object.assign(new Error("Request body is too large"), { statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE" });
        expect(toHttpError(tooLarge)).toMatchObject({ status: 413, body: { error: { code: "request_too_large" } } });
    });
});
