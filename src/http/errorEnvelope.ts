/**
 * Turns any error into the OpenAI-shaped envelope and a status code: the one place where errors meet HTTP.
 * Stack traces and internal messages of unexpected errors never reach clients; they are logged instead.
 */
import type { FastifyError } from "fastify";
import { ApiError } from "../errors.js";
import type { AnthropicError } from "../schemas/anthropic/messages.js";
import type { ErrorEnvelope } from "../schemas/errorEnvelope.js";

type ValidationIssue = { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> };

export type HttpError = { status: number; body: ErrorEnvelope; unexpected: boolean; headers?: Record<string, string> };

/** `/messages/0/role` -> `messages[0].role`, the way OpenAI names parameters. */
export function parameterName(instancePath: string): string {
    return instancePath.split("/").filter(Boolean)
        .map((segment, index) => (/^\d+$/.test(segment) ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
        .join("");
}

function describeIssue(issue: ValidationIssue): string {
    if (issue.keyword === "enum" && Array.isArray(issue.params.allowedValues)) {
        return `must be one of: ${issue.params.allowedValues.join(", ")}`;
    }
    return issue.message ?? "is invalid";
}

/** One readable sentence from ajv's issues: the first field that failed, with every way it could have passed. */
export function validationMessage(issues: ValidationIssue[], context: string | undefined): { message: string; param: string | null } {
    const first = issues[0];
    if (first === undefined) return { message: "Invalid request.", param: null };
    if (first.keyword === "required") {
        const missing = String(first.params.missingProperty);
        const param = parameterName(`${first.instancePath}/${missing}`);
        return { message: `Missing required parameter: '${param}'.`, param };
    }
    const param = parameterName(first.instancePath);
    const sameField = issues.filter((issue) => issue.instancePath === first.instancePath && issue.keyword !== "anyOf");
    const reasons = [...new Set(sameField.map(describeIssue))].join(" or ");
    if (param === "") return { message: `Invalid request ${context ?? "body"}: ${reasons}.`, param: null };
    return { message: `Invalid value for '${param}': ${reasons}.`, param };
}

const fastifyCodes: Record<string, string> = {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
    FST_ERR_CTP_BODY_TOO_LARGE: "request_too_large",
    FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
    FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json"
};

export function toHttpError(error: unknown): HttpError {
    const envelope = (message: string, type: string, code: string | null, param: string | null = null): ErrorEnvelope =>
        ({ error: { message, type, param, code } });
    if (error instanceof ApiError) {
        return { status: error.status, body: envelope(error.message, error.type, error.code, error.param), unexpected: false, headers: error.headers };
    }
    const fastifyError = error as Partial<FastifyError> & { validation?: ValidationIssue[] };
    if (Array.isArray(fastifyError.validation)) {
        const { message, param } = validationMessage(fastifyError.validation, fastifyError.validationContext);
        return { status: 400, body: envelope(message, "invalid_request_error", "invalid_request", param), unexpected: false };
    }
    const status = fastifyError.statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
        const code = fastifyError.code ?? "";
        const isJson = error instanceof SyntaxError || code.includes("JSON");
        const message = isJson ? `Malformed JSON in request body: ${fastifyError.message}` : fastifyError.message ?? "Bad request";
        return { status, body: envelope(message, "invalid_request_error", fastifyCodes[code] ?? (isJson ? "invalid_json" : "invalid_request")), unexpected: false };
    }
    return { status: 500, body: envelope("Internal server error.", "server_error", "internal_error"), unexpected: true };
}

/** Ollama's API (`/api/...` but LM Studio's `/api/v0` and `/api/v1`) answers errors as `{"error": "message"}`. */
export const speaksOllama = (url: string) => /^\/api\/(?!v[01](?:[/?]|$))/.test(url);

export type OllamaError = { error: string };

/** The same error as Ollama's API writes it: its message only. */
export const toOllamaError = (error: HttpError): OllamaError => ({ error: error.body.error.message });

/** The error body as the API of `url` writes it: Anthropic's, Ollama's, else OpenAI's envelope. */
export function errorBodyFor(url: string, error: HttpError): ErrorEnvelope | AnthropicError | OllamaError {
    if (speaksAnthropic(url)) return toAnthropicError(error);
    if (speaksOllama(url)) return toOllamaError(error);
    return error.body;
}

/** Anthropic's Messages API answers errors in its own shape, on its own routes. */
export const speaksAnthropic = (url: string) => url === "/v1/messages" || url.startsWith("/v1/messages/") || url.startsWith("/v1/messages?");

const anthropicTypes: Record<number, string> = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    413: "request_too_large", 415: "invalid_request_error", 429: "rate_limit_error", 503: "overloaded_error", 529: "overloaded_error"
};

/** The same error as Anthropic's API writes it: `{"type": "error", "error": {"type", "message"}}`. */
export function toAnthropicError(error: HttpError): AnthropicError {
    const type = anthropicTypes[error.status] ?? (error.status < 500 ? "invalid_request_error" : "api_error");
    return { type: "error", error: { type, message: error.body.error.message } };
}
