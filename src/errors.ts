/**
 * The error registry. Domain code throws these; each HTTP surface turns them into the OpenAI-shaped envelope
 * `{"error":{"message","type","param","code"}}` in one place. Nothing here knows about HTTP beyond the status
 * number each error carries.
 */

/** The `type` field of an OpenAI error envelope. */
export type ApiErrorType =
    | "invalid_request_error"
    | "not_found_error"
    | "authentication_error"
    | "server_error"
    | "overloaded_error"
    | "insufficient_storage_error";

export class ApiError extends Error {
    /** Response headers the error needs (Retry-After). */
    headers: Record<string, string> = {};

    constructor(
        message: string,
        readonly status: number,
        readonly type: ApiErrorType,
        readonly code: string | null,
        readonly param: string | null = null
    ) {
        super(message);
        this.name = new.target.name;
    }
}

/** A request that is well-formed JSON but asks for something invalid. */
export class InvalidRequest extends ApiError {
    constructor(message: string, param: string | null = null, code: string | null = "invalid_request") {
        super(message, 400, "invalid_request_error", code, param);
    }
}

export class ModelNotFound extends ApiError {
    constructor(requested: string, availableIds: readonly string[]) {
        const available = availableIds.length > 0 ? availableIds.join(", ") : "none (the models folder is empty)";
        super(`Model "${requested}" not found. Available models: ${available}`, 404, "invalid_request_error",
            "model_not_found", "model");
    }
}

/** A stored response (Responses API) that is not stored: never was (store: false), deleted, or evicted. */
export class ResponseNotFound extends ApiError {
    constructor(id: string, param: string) {
        super(`No response with id '${id}' is stored (not with store: false; the server keeps the last 1,000, in memory).`, 404,
            "invalid_request_error", "response_not_found", param);
    }
}

export class ModelNotLoaded extends ApiError {
    constructor(instanceId: string, loadedIds: readonly string[]) {
        super(`No loaded model instance "${instanceId}". Loaded: ${loadedIds.length > 0 ? loadedIds.join(", ") : "none"}`, 404,
            "invalid_request_error", "model_not_loaded", "instance_id");
    }
}

export class AmbiguousModel extends ApiError {
    constructor(requested: string, candidates: readonly string[]) {
        super(`Model "${requested}" matches several models: ${candidates.join(", ")}. Use one of these ids.`, 400,
            "invalid_request_error", "ambiguous_model", "model");
    }
}

/** A chat/completion request sent to an embedding model, or the other way round. */
export class WrongModelType extends ApiError {
    constructor(modelId: string, modelType: string, endpoint: string) {
        super(`Model "${modelId}" is ${modelType === "embeddings" ? "an embedding model" : modelType === "reranker" ? "a reranker" : "an LLM"} and cannot serve ${endpoint}.`,
            400, "invalid_request_error", "model_not_supported", "model");
    }
}

export class ContextLengthExceeded extends ApiError {
    constructor(promptTokens: number, contextLength: number, param: string) {
        super(`The prompt is ${promptTokens} tokens long, but the model's context holds ${contextLength} tokens ` +
            `(including at least one generated token). Shorten the prompt or load the model with a larger context length.`,
        400, "invalid_request_error", "context_length_exceeded", param);
    }
}

export class RouteNotFound extends ApiError {
    constructor(method: string, url: string) {
        super(`Unknown route: ${method} ${url}`, 404, "invalid_request_error", "route_not_found");
    }
}

export class ModelLoadFailed extends ApiError {
    constructor(modelId: string, reason: string) {
        super(`Failed to load model "${modelId}": ${reason}`, 500, "server_error", "model_load_failed");
    }
}

/** The inference engine failed while serving a request (including its process exiting). */
/** The model file's chat template does not parse: the model's fault, not the request's. */
export class ChatTemplateUnusable extends ApiError {
    constructor(reason: string) {
        super(`The model's chat template cannot be parsed (${reason}); /v1/completions with a prompt of your own still works.`, 500,
            "server_error", "invalid_chat_template");
    }
}

/**
 * OpenAI's API has no finish reason for an answer the server cut short (shutdown past its grace period, the model
 * unloaded); "stop" would pass a truncated answer off as a whole one, so /v1 answers this instead.
 */
export class GenerationInterrupted extends ApiError {
    constructor(stopReason: "userStopped" | "modelUnloaded") {
        super(stopReason === "modelUnloaded"
            ? "The model was unloaded while it generated this answer; the answer is incomplete."
            : "The server is shutting down and ended this answer before it was complete.",
        503, "server_error", stopReason === "modelUnloaded" ? "model_unloaded" : "shutting_down");
    }
}

export class LoadCancelled extends ApiError {
    constructor(modelId: string) {
        super(`Loading "${modelId}" was cancelled: every model was unloaded meanwhile.`, 503, "server_error", "load_cancelled");
    }
}

export class EngineFailure extends ApiError {
    constructor(reason: string) {
        super(`The inference engine failed: ${reason}`, 500, "server_error", "engine_failure");
    }
}

/** Every sequence of the model is busy and its queue is full. */
export class QueueFull extends ApiError {
    constructor(modelId: string, running: number, queued: number, retryAfterSeconds: number) {
        super(`Model "${modelId}" is busy: ${running} requests running and ${queued} waiting, the most it queues. Retry in about ${retryAfterSeconds} s.`,
            503, "overloaded_error", "queue_full");
        this.headers = { "retry-after": String(retryAfterSeconds) };
    }
}

/** The server got SIGINT/SIGTERM and takes no new requests. */
export class ShuttingDown extends ApiError {
    constructor() {
        super("The server is shutting down and takes no new requests.", 503, "server_error", "shutting_down");
        this.headers = { connection: "close" };
    }
}
