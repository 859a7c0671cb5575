/** GET /lmhost/status: the server's live state, for the web app's Server page and for monitoring (docs/api/status.md). */
import { Type, type Static, type TSchema } from "typebox";

const Bytes = (description: string) => Type.Integer({ minimum: 0, description });
const Count = (description: string) => Type.Integer({ minimum: 0, description });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const StatusInstance = Type.Object({
    id: Type.String({ description: "The instance id (the model id, or the identifier it was loaded under)" }),
    model: Type.String({ description: "The model's id in the catalog" }),
    type: Type.Union([Type.Literal("llm"), Type.Literal("embeddings"), Type.Literal("reranker")]),
    origin: Type.Union([Type.Literal("jit"), Type.Literal("explicit")], {
        description: "jit: loaded by a request for it (evicted by other JIT loads, unloaded after its TTL); explicit: loaded through a load call"
    }),
    sequences: Count("Parallel sequences (slots); as lmhost_sequences"),
    busy: Count("Sequences generating now; as lmhost_busy_sequences"),
    queued: Count("Requests waiting for a sequence; as lmhost_queue_depth"),
    held: Count("Generations held between tokens because their clients do not read; as lmhost_held_generations"),
    context_length: Type.Integer({ minimum: 1, description: "Tokens per sequence" }),
    ttl_seconds: Nullable(Type.Integer({ minimum: 0, description: "Idle seconds before it unloads; null: never" })),
    loaded_at: Type.String({ format: "date-time" }),
    pid: Nullable(Type.Integer({ description: "The engine process's id" })),
    memory_bytes: Nullable(Bytes("The engine process's resident memory (RSS): weights, contexts and the rest of the process; null if unknown"))
});
export type StatusInstance = Static<typeof StatusInstance>;

export const StatusMinute = Type.Object({
    minute: Type.String({ format: "date-time", description: "Start of the minute" }),
    requests: Count("HTTP requests answered in the minute"),
    errors: Count("Of those, answered with a status of 400 or more"),
    completions: Count("Completions finished in the minute"),
    completion_tokens: Count("Tokens those completions generated"),
    tokens_per_second: Nullable(Type.Number({ minimum: 0, description: "Mean decode speed of those completions; null: none measured one" })),
    time_to_first_token_seconds: Nullable(Type.Number({ minimum: 0, description: "Mean time from request to first token of those completions; null: none generated a token" }))
});
export type StatusMinute = Static<typeof StatusMinute>;

export const ServerStatus = Type.Object({
    version: Type.String({ description: "lmhost's version" }),
    started_at: Type.String({ format: "date-time", description: "When the server started" }),
    uptime_seconds: Type.Number({ minimum: 0 }),
    memory: Type.Object({
        rss_bytes: Bytes("The server process's resident memory (engines not included: see each instance's memory_bytes)"),
        heap_used_bytes: Bytes("The server process's JavaScript heap in use")
    }),
    instances: Type.Array(StatusInstance, { description: "Loaded model instances (loads in flight are in `loading`)" }),
    loading: Type.Array(Type.Object({
        id: Type.String({ description: "The instance id the load makes" }),
        model: Type.String({ description: "The model it loads" }),
        progress: Type.Number({ minimum: 0, maximum: 1, description: "How far the load is" })
    }), { description: "Loads in flight (on demand or explicit), with their real progress" }),
    totals: Type.Object({
        requests: Count("HTTP requests answered since the start: the sum of lmhost_http_requests_total. This request is not in it yet: it is counted once answered"),
        errors: Count("Of those, answered with a status of 400 or more"),
        completions: Count("The sum of lmhost_completions_total"),
        prompt_tokens: Count("The sum of lmhost_prompt_tokens_total (completions' and embeddings' prompts)"),
        completion_tokens: Count("The sum of lmhost_completion_tokens_total")
    }),
    recent: Type.Array(StatusMinute, { description: "The last 15 minutes, oldest first, up to the current minute (which is still counting); quiet minutes count zero" })
});
export type ServerStatus = Static<typeof ServerStatus>;
