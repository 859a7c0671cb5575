/**
 * The server side of one engine worker process: starts it, loads a model in it, and runs generation and
 * embedding jobs over IPC. If the worker dies, every job in flight fails with EngineFailure and `exited`
 * resolves, so the model can be marked unloaded; the server itself carries on.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { pushable } from "it-pushable";
import { fileURLToPath } from "node:url";
import { ContextLengthExceeded, EngineFailure, InvalidRequest, LoadCancelled, ModelLoadFailed } from "../errors.js";
import { engineEnvironment } from "./engineEnvironment.js";
import type {
    EngineFailureDescription, FromWorker, GenerationDone, GenerationParams, LoadedModelDescription, LoadOptions, ResourceEstimate, TokenLogprob, ToWorker
} from "./protocol.js";

/** Unread events of a generation at which it is held, and at which it goes on. */
const holdAtUnread = 64;
const proceedAtUnread = 8;

export type GenerationEvent =
    | { type: "token"; text: string; logprob?: TokenLogprob }
    | { type: "promptProgress"; evaluated: number; total: number }
    | ({ type: "done" } & GenerationDone);

/** A generation the engine accepted: the prompt fits and is queued or running. */
export type Generation = {
    promptTokens: number;
    events: AsyncIterable<GenerationEvent>;
    /**
     * Resolves once the engine has let go of the generation's sequence, whether or not anyone still reads the
     * events: with how it ended, or null if the engine failed.
     */
    settled: Promise<GenerationDone | null>;
};

export type Embeddings = { vectors: number[][]; tokenCounts: number[] };

type Job = {
    /** The request field a ContextLengthExceeded error names. */
    param: string;
    accept?(promptTokens: number): void;
    push?(event: GenerationEvent): void;
    embedded?(result: Embeddings): void;
    /** A job answered by one message (tokenize, detokenize). */
    answered?(message: FromWorker): void;
    fail(error: Error): void;
};

const workerEntry = fileURLToPath(new URL(`./worker/engineWorker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

function toError(description: EngineFailureDescription, promptParam: string): Error {
    switch (description.kind) {
        case "contextLengthExceeded": return new ContextLengthExceeded(description.promptTokens, description.contextLength, promptParam);
        case "invalidGrammar": return new InvalidRequest(`The output constraint could not be compiled: ${description.message}`, null, "unsupported_schema");
        case "invalidToken": return new InvalidRequest(`Token ${description.token} is not a token of this model (ids 0 to ${description.vocabularySize - 1}).`, promptParam, "invalid_token");
        case "engine": return new EngineFailure(description.message);
    }
}

/**
 * What the rest of the server uses of an engine process (a fake engine can stand in for it in unit tests).
 * `residentMemory` is optional: a stand-in without it has unknown memory.
 */
export type Engine = Pick<EngineProcess, "model" | "estimate" | "exited" | "alive" | "pid" | "heldGenerations" | "generate" | "embed" | "countPromptTokens" | "tokenize" | "detokenize" | "rank" | "cancelAll" | "dispose">
    & Partial<Pick<EngineProcess, "residentMemory">>;

/** Where an engine's resident memory is read: "auto" from the OS where it tells (Linux's /proc), else from the worker. */
export type MemorySource = "auto" | "worker";

/** A process's resident set in bytes, from /proc/<pid>/status (VmRSS, in kB); null where there is no such file or line. */
export async function procResidentMemory(pid: number): Promise<number | null> {
    try {
        const match = /^VmRSS:\s*(\d+)\s*kB/m.exec(await readFile(`/proc/${pid}/status`, "latin1"));
        return match ? Number(match[1]) * 1024 : null;
    } catch {
        return null;
    }
}

export class EngineProcess {
    private readonly jobs = new Map<number, Job>();
    private readonly heldJobs = new Set<number>();
    private nextJobId = 1;
    private exitReason: string | null = null;
    /** Resolves with a description of why the worker ended. */
    readonly exited: Promise<string>;

    private constructor(private readonly child: ChildProcess, readonly model: LoadedModelDescription, readonly estimate: ResourceEstimate) {
        this.exited = new Promise((resolve) => {
            child.once("exit", (code, signal) => {
                this.exitReason ??= signal ? `engine process killed by ${signal}` : `engine process exited with code ${code}`;
                for (const job of this.jobs.values()) job.fail(new EngineFailure(this.exitReason));
                this.jobs.clear();
                resolve(this.exitReason);
            });
        });
        child.on("message", (message: FromWorker | FromWorker[]) => {
            if (!Array.isArray(message)) return this.dispatch(message);
            for (const each of message) this.dispatch(each);
        });
        // A send to a worker that just died fails with an "error" event (EPIPE); unheard, it would throw in the
        // server. The worker is gone for all purposes: end it, and its jobs fail with its exit.
        child.on("error", (error) => {
            this.exitReason ??= `engine process unreachable (${error.message})`;
            child.kill("SIGKILL");
        });
    }

    /**
     * Starts a worker, has it estimate the memory the model and its context need, lets `admit` decide (it may
     * make room, or throw to refuse), then loads. Rejects with ModelLoadFailed or admit's error, or LoadCancelled
     * once `signal` aborts, leaving no process behind.
     */
    /** `onLoadProgress`: the load's progress from 0 to 1, as llama.cpp reads the weights. */
    static async start(modelId: string, options: LoadOptions, admit: (estimate: ResourceEstimate) => Promise<void> = async () => {},
        signal?: AbortSignal, onLoadProgress?: (progress: number) => void): Promise<EngineProcess> {
        const child = fork(workerEntry, [], {
            // JSON, not "advanced": for the small per-token messages it costs measurably less (README, "Threads").
            serialization: "json",
            stdio: ["ignore", "inherit", "inherit", "ipc"],
            execArgv: workerEntry.endsWith(".ts") ? ["--import", "tsx"] : [],
            env: engineEnvironment()
        });
        const cancel = () => child.kill("SIGKILL");
        signal?.addEventListener("abort", cancel, { once: true });
        try {
            signal?.throwIfAborted();
            const estimated = await EngineProcess.request(child, modelId, { type: "estimate", options });
            if (estimated.type !== "estimated") throw new ModelLoadFailed(modelId, estimated.type === "loadFailed" ? estimated.message : "unexpected reply");
            await admit(estimated.estimate);
            const loaded = await EngineProcess.request(child, modelId, { type: "load", options }, onLoadProgress);
            if (loaded.type !== "loaded") throw new ModelLoadFailed(modelId, loaded.type === "loadFailed" ? loaded.message : "unexpected reply");
            return new EngineProcess(child, loaded.model, estimated.estimate);
        } catch (error) {
            child.kill("SIGKILL");
            if (signal?.aborted) throw new LoadCancelled(modelId);
            throw error;
        } finally {
            signal?.removeEventListener("abort", cancel);
        }
    }

    /** Sends one message during startup and waits for the worker's answer (or its death). */
    private static request(child: ChildProcess, modelId: string, message: ToWorker, onProgress?: (progress: number) => void): Promise<FromWorker> {
        return new Promise((resolve, reject) => {
            const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
                reject(new ModelLoadFailed(modelId, `the engine process ${signal ? `was killed by ${signal}` : `exited with code ${code}`} while loading`));
            const onError = (error: Error) => reject(new ModelLoadFailed(modelId, error.message));
            const onMessage = (incoming: FromWorker | FromWorker[]) => {
                for (const reply of Array.isArray(incoming) ? incoming : [incoming]) {
                    if (reply.type === "loadProgress") {
                        onProgress?.(reply.progress);
                        continue;
                    }
                    child.off("exit", onExit);
                    child.off("error", onError);
                    child.off("message", onMessage);
                    resolve(reply);
                    return;
                }
            };
            child.once("exit", onExit);
            child.once("error", onError);
            child.on("message", onMessage);
            child.send(message);
        });
    }

    /** Generations held because their readers are behind (clients not reading their streams). */
    get heldGenerations(): number {
        return this.heldJobs.size;
    }

    /** The worker's process id, for diagnostics. */
    get pid(): number | undefined {
        return this.child.pid;
    }

    get alive(): boolean {
        return this.exitReason === null;
    }

    /**
     * Starts generating. Resolves once the engine has accepted the prompt (so a prompt that does not fit fails
     * here, before any response is sent); the events then stream until "done". Aborting the signal stops the
     * generation within a token and ends the stream with stop reason "userStopped".
     */
    generate(params: GenerationParams, signal: AbortSignal, promptParam: string): Promise<Generation> {
        const id = this.nextJobId++;
        // Flow control: a reader this many events behind holds the generation; it goes on when the reader catches up.
        let held = false;
        let settle!: (outcome: GenerationDone | null) => void;
        const settled = new Promise<GenerationDone | null>((resolve) => { settle = resolve; });
        return new Promise((resolve, reject) => {
            let ended = false;
            const onAbort = () => this.send({ type: "cancel", id });
            // A consumer that stops reading (a client that went away) ends the stream early: stop generating, and
            // drop whatever the worker still sends for this job.
            const events = pushable<GenerationEvent>({
                objectMode: true,
                onEnd: () => {
                    if (!ended) onAbort();
                    ended = true;
                }
            });
            const read = async function* (engine: EngineProcess): AsyncGenerator<GenerationEvent> {
                for await (const event of events) {
                    if (held && events.readableLength <= proceedAtUnread) {
                        held = false;
                        engine.heldJobs.delete(id);
                        engine.send({ type: "proceed", id });
                    }
                    yield event;
                }
            };
            let accepted = false;
            this.jobs.set(id, {
                param: promptParam,
                accept: (promptTokens) => {
                    accepted = true;
                    resolve({ promptTokens, events: read(this), settled });
                },
                push: (event) => {
                    if (event.type === "done") {
                        this.finish(id, signal, onAbort);
                        settle(event);
                    }
                    if (ended) return;
                    events.push(event);
                    if (!held && events.readableLength >= holdAtUnread) {
                        held = true;
                        this.heldJobs.add(id);
                        this.send({ type: "hold", id });
                    }
                    if (event.type === "done") {
                        ended = true;
                        events.end();
                    }
                },
                fail: (error) => {
                    this.finish(id, signal, onAbort);
                    settle(null);
                    if (!accepted) reject(error);
                    else if (!ended) {
                        ended = true;
                        events.end(error);
                    }
                }
            });
            signal.addEventListener("abort", onAbort, { once: true });
            if (!this.send({ type: "generate", id, params })) this.failUnsent(id);
            // A client that left before this point (while its model loaded) fires no abort event any more.
            else if (signal.aborted) onAbort();
        });
    }

    embed(inputs: string[], signal: AbortSignal, inputParam: string): Promise<Embeddings> {
        const id = this.nextJobId++;
        return new Promise<Embeddings>((resolve, reject) => {
            const onAbort = () => this.send({ type: "cancel", id });
            this.jobs.set(id, {
                param: inputParam,
                embedded: (result) => {
                    this.finish(id, signal, onAbort);
                    resolve(result);
                },
                fail: (error) => {
                    this.finish(id, signal, onAbort);
                    reject(error);
                }
            });
            signal.addEventListener("abort", onAbort, { once: true });
            if (!this.send({ type: "embed", id, inputs })) this.failUnsent(id);
            else if (signal.aborted) onAbort();
        });
    }

    /** How many tokens a prompt is for the model (what a generation's promptTokens would say). */
    async countPromptTokens(text: string): Promise<number> {
        return (await this.tokenize(text, true, "messages")).tokens.length;
    }

    /** The model's tokens of `text` (special tokens parsed) and each one's text; `addSpecial`: BOS as a prompt gets it. */
    async tokenize(text: string, addSpecial: boolean, param = "content"): Promise<{ tokens: number[]; pieces: string[] }> {
        const answer = await this.ask((id) => ({ type: "tokenize", id, text, addSpecial }), param);
        return answer.type === "tokenized" ? { tokens: answer.tokens, pieces: answer.pieces } : { tokens: [], pieces: [] };
    }

    /** The text of `tokens`; InvalidRequest for an id that is no token of the model. */
    async detokenize(tokens: number[]): Promise<string> {
        const answer = await this.ask((id) => ({ type: "detokenize", id, tokens }), "tokens");
        return answer.type === "detokenized" ? answer.text : "";
    }

    /** A reranker's score of each document for the query, 0 to 1, and the tokens of the pairs it read. */
    async rank(query: string, documents: string[]): Promise<{ scores: number[]; tokenCount: number }> {
        const answer = await this.ask((id) => ({ type: "rank", id, query, documents }), "documents");
        return answer.type === "ranked" ? { scores: answer.scores, tokenCount: answer.tokenCount } : { scores: [], tokenCount: 0 };
    }

    /**
     * The worker's resident memory in bytes (its weights and contexts in RAM, and the rest of the process), or
     * null when unknown: the engine is gone, or the worker did not answer within `timeoutMs`. On Linux it is read
     * from /proc, which does not disturb the worker at all; elsewhere (or with `from: "worker"`) the worker is asked.
     */
    async residentMemory(options: { from?: MemorySource; timeoutMs?: number } = {}): Promise<number | null> {
        const pid = this.child.pid;
        if (!this.alive || pid === undefined) return null;
        if ((options.from ?? "auto") === "auto" && process.platform === "linux") {
            const fromProc = await procResidentMemory(pid);
            if (fromProc !== null) return fromProc;
        }
        try {
            const answer = await this.ask((id) => ({ type: "memoryUsage", id }), "model", options.timeoutMs ?? 1000);
            return answer.type === "memoryUsage" ? answer.rssBytes : null;
        } catch {
            return null;
        }
    }

    /** One message, one answer; with `timeoutMs`, an answer later than that fails the ask (and is dropped when it comes). */
    private ask(message: (id: number) => ToWorker, param: string, timeoutMs?: number): Promise<FromWorker> {
        const id = this.nextJobId++;
        return new Promise<FromWorker>((resolve, reject) => {
            const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
                this.jobs.delete(id);
                reject(new EngineFailure(`the engine process did not answer within ${timeoutMs} ms`));
            }, timeoutMs);
            timer?.unref();
            this.jobs.set(id, {
                param,
                answered: (answer) => {
                    clearTimeout(timer);
                    this.jobs.delete(id);
                    resolve(answer);
                },
                fail: (error) => {
                    clearTimeout(timer);
                    this.jobs.delete(id);
                    reject(error);
                }
            });
            if (!this.send(message(id))) this.failUnsent(id);
        });
    }

    /** Asks every running job to stop; generations end with stop reason userStopped. */
    cancelAll(): void {
        for (const id of this.jobs.keys()) this.send({ type: "cancel", id });
    }

    /**
     * Ends the worker; jobs still running stop within a token with stop reason modelUnloaded. `savePromptStates`:
     * the worker saves its sequences' states to the prompt cache first (false when the cache goes with the server).
     */
    async dispose(savePromptStates = true): Promise<void> {
        if (!this.alive) return;
        this.send({ type: "shutdown", savePromptStates });
        const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
        await this.exited;
        clearTimeout(timer);
    }

    private failUnsent(id: number): void {
        this.jobs.get(id)?.fail(new EngineFailure(this.exitReason ?? "the engine process is gone"));
    }

    private finish(id: number, signal: AbortSignal, onAbort: () => void): void {
        this.jobs.delete(id);
        this.heldJobs.delete(id);
        signal.removeEventListener("abort", onAbort);
    }

    private send(message: ToWorker): boolean {
        if (!this.alive || !this.child.connected) return false;
        this.child.send(message);
        return true;
    }

    private dispatch(message: FromWorker): void {
        if (!("id" in message)) return;
        const job = this.jobs.get(message.id);
        if (job === undefined) return;
        switch (message.type) {
            case "accepted": return job.accept?.(message.promptTokens);
            case "token": return job.push?.(message.logprob ? { type: "token", text: message.text, logprob: message.logprob } : { type: "token", text: message.text });
            case "promptProgress": return job.push?.({ type: "promptProgress", evaluated: message.evaluated, total: message.total });
            case "done": {
                const { id: _id, ...done } = message;
                return job.push?.(done);
            }
            case "embedded": return job.embedded?.({ vectors: message.vectors, tokenCounts: message.tokenCounts });
            case "tokenized": case "detokenized": case "ranked": case "memoryUsage": return job.answered?.(message);
            case "failed": return job.fail(toError(message.error, job.param));
        }
    }
}
