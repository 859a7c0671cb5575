/**
 * Requests to the lmhost that serves this page, same origin only. With `--api-key` the first 401 asks for the key
 * (keyPrompt), which is kept in localStorage and sent as `Authorization: Bearer <key>`; the request is then retried.
 */

const keyStorage = "lmhost.apiKey";

export function storedKey(): string | null {
    try {
        return localStorage.getItem(keyStorage);
    } catch {
        return null;
    }
}

export function storeKey(key: string | null): void {
    try {
        if (key === null) localStorage.removeItem(keyStorage);
        else localStorage.setItem(keyStorage, key);
    } catch {
        // Storage refused (a private window's quota): the key lasts this page.
    }
    memoryKey = key;
}

let memoryKey: string | null = storedKey();

export const hasKey = () => memoryKey !== null;

export function clearKey(): void {
    storeKey(null);
}

/** An API's error in words: its `error.message` (LM Studio's and OpenAI's envelope), or what the status says. */
export class ApiError extends Error {
    constructor(message: string, readonly status: number, readonly code: string | null = null) {
        super(message);
        this.name = "ApiError";
    }
}

/** The key dialog: the app sets `ask`; a 401 waits for the key it resolves with (null: the user gave up). */
type KeyAsker = (reason: string) => Promise<string | null>;
let ask: KeyAsker | null = null;
let askerSet: () => void = () => undefined;
/** Resolved once the app has set the dialog up: a 401 that comes before waits for it. */
const askerReady = new Promise<void>((resolve) => { askerSet = resolve; });
let pending: Promise<string | null> | null = null;

export function onKeyNeeded(asker: KeyAsker): void {
    ask = asker;
    askerSet();
}

/** Set once the user cancelled the dialog: later 401s then fail at once, until the user asks for the dialog again. */
let declined = false;

function askForKey(reason: string): Promise<string | null> {
    if (declined) return Promise.resolve(null);
    pending ??= askerReady.then(() => ask!(reason)).then((key) => {
        pending = null;
        if (key !== null) storeKey(key);
        else declined = true;
        return key;
    });
    return pending;
}

/** The dialog again, asked for by the user (after a cancel, or to change the key). */
export function reaskForKey(): Promise<string | null> {
    declined = false;
    return askForKey("Enter the key the server was started with.");
}

export async function errorOf(response: Response): Promise<ApiError> {
    const text = await response.text().catch(() => "");
    try {
        const body = JSON.parse(text) as { error?: { message?: string; code?: string } | string; message?: string };
        if (typeof body.error === "string") return new ApiError(body.error, response.status);
        if (body.error?.message) return new ApiError(body.error.message, response.status, body.error.code ?? null);
        if (body.message) return new ApiError(body.message, response.status);
    } catch {
        // Not JSON: the status line says it.
    }
    return new ApiError(text.trim() !== "" && text.length < 300 ? text.trim() : `${response.status} ${response.statusText || "error"}`, response.status);
}

/** `fetch` with the key; a 401 asks for the key once and retries. A network failure is an ApiError too. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
        const headers = new Headers(init.headers);
        if (memoryKey !== null) headers.set("authorization", `Bearer ${memoryKey}`);
        let response: Response;
        try {
            response = await fetch(path, { ...init, headers, credentials: "same-origin" });
        } catch (error) {
            if ((error as Error).name === "AbortError") throw error;
            throw new ApiError("The server did not answer: is lmhost still running?", 0);
        }
        if (response.status !== 401 || attempt >= 3 || init.signal?.aborted) return response;
        const failure = await errorOf(response);
        const key = await askForKey(failure.message);
        if (key === null) throw failure;
    }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    const response = await apiFetch(path, signal ? { signal } : {});
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
}

export async function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const response = await apiFetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
}

/** Server-sent events of `body`: each `event:` name (default `message`) with its `data:` lines joined. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let event = "";
    let data: string[] = [];
    try {
        for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            let newline: number;
            while ((newline = buffer.indexOf("\n")) >= 0) {
                const line = buffer.slice(0, newline).replace(/\r$/, "");
                buffer = buffer.slice(newline + 1);
                if (line === "") {
                    if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
                    event = "";
                    data = [];
                } else if (!line.startsWith(":")) {
                    const colon = line.indexOf(":");
                    const field = colon < 0 ? line : line.slice(0, colon);
                    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
                    if (field === "event") event = value;
                    else if (field === "data") data.push(value);
                }
            }
        }
        if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
    } finally {
        reader.releaseLock();
    }
}

// The server's shapes the app reads (docs/api/lmstudio-v1.md, src/schemas/v1/).

export type LoadedInstance = {
    id: string;
    config: { context_length: number; eval_batch_size: number | null; parallel: number; flash_attention: boolean | null; kv_cache_type: string | null; draft_model: string | null; prompt_lookup: boolean };
    load_origin: "jit" | "explicit";
    ttl_seconds: number | null;
    requests_in_flight: number;
    loaded_at: string;
};

export type Model = {
    type: "llm" | "embedding" | "reranker";
    publisher: string;
    key: string;
    display_name: string;
    architecture: string;
    quantization: { name: string; bits_per_weight: number | null };
    size_bytes: number;
    params_string: string | null;
    loaded_instances: LoadedInstance[];
    max_context_length: number;
    capabilities: { vision: boolean; trained_for_tool_use: boolean };
    source: string;
    path: string;
};

export type DownloadJob = {
    job_id: string;
    status: "downloading" | "completed" | "failed" | "already_downloaded";
    total_size_bytes: number;
    downloaded_bytes: number;
    bytes_per_second: number;
    started_at: string;
    completed_at: string | null;
    error: string | null;
    files: string[];
};

export type ChatStats = {
    input_tokens: number;
    total_output_tokens: number;
    reasoning_output_tokens: number;
    tokens_per_second: number;
    time_to_first_token_seconds: number;
    model_load_time_seconds?: number;
};

export type ChatOutputItem = { type: "message" | "reasoning"; content: string };

/** `POST /api/v1/chat`'s stream events; unknown ones are ignored. */
export type ChatEvent =
    | { type: "chat.start" | "model_load.start"; model_instance_id: string }
    | { type: "model_load.progress"; model_instance_id: string; progress: number }
    | { type: "model_load.end"; model_instance_id: string; load_time_seconds: number }
    | { type: "prompt_processing.progress"; progress: number }
    | { type: "reasoning.delta" | "message.delta"; content: string }
    | { type: "prompt_processing.start" | "prompt_processing.end" | "reasoning.start" | "reasoning.end" | "message.start" | "message.end" }
    | { type: "error"; error: { type: string; message: string; code?: string } }
    | { type: "chat.end"; result: { model_instance_id: string; output: ChatOutputItem[]; stats: ChatStats } };

export type ServerStatus = {
    version: string;
    uptime_seconds: number;
    memory: { rss_bytes: number; heap_used_bytes: number };
    instances: Array<{
        id: string; model: string; type: string; origin: string; sequences: number; busy: number; queued: number; held: number;
        context_length: number; ttl_seconds: number | null; loaded_at: string; memory_bytes: number | null;
    }>;
    /** Loads in flight, with their real progress. */
    loading: Array<{ id: string; model: string; progress: number }>;
    totals: { requests: number; errors: number; completions: number; prompt_tokens: number; completion_tokens: number };
    recent: Array<{ minute: string; requests: number; errors: number; completions: number; tokens_per_second: number | null; time_to_first_token_seconds: number | null; completion_tokens: number }>;
};
