/**
 * The server side of one engine worker process: starts it, loads a model in it, and runs generation and
 * embedding jobs over IPC. If the worker dies, every job in flight fails with EngineFailure and `exited`
 * resolves, so the model can be marked unloaded; the server itself carries on.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ContextLengthExceeded, EngineFailure, InvalidRequest, ModelLoadFailed } from "../errors.js";
import type {
    EngineFailureDescription, FromWorker, GenerationParams, LoadedModelDescription, LoadOptions, StopReason, TokenLogprob, ToWorker
} from "./protocol.js";

export type GenerationEvent =
    | { type: "token"; text: string; logprob?: TokenLogprob }
    | { type: "done"; stopReason: StopReason; completionTokens: number; text: string };

/** A generation the engine accepted: the prompt fits and is queued or running. */
export type Generation = {
    promptTokens: number;
    events: AsyncIterable<GenerationEvent>;
};

export type Embeddings = { vectors: Float32Array[]; tokenCounts: number[] };

type Job = {
    /** The request field a ContextLengthExceeded error names. */
    param: string;
    accept?(promptTokens: number): void;
    push?(event: GenerationEvent): void;
    embedded?(result: Embeddings): void;
    fail(error: Error): void;
};

const workerEntry = fileURLToPath(new URL(`./worker/engineWorker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

function toError(description: EngineFailureDescription, promptParam: string): Error {
    switch (description.kind) {
        case "contextLengthExceeded": return new ContextLengthExceeded(description.promptTokens, description.contextLength, promptParam);
        case "invalidGrammar": return new InvalidRequest(`The output constraint could not be compiled: ${description.message}`, null, "unsupported_schema");
        case "engine": return new EngineFailure(description.message);
    }
}

export class EngineProcess {
    private readonly jobs = new Map<number, Job>();
    private nextJobId = 1;
    private exitReason: string | null = null;
    /** Resolves with a description of why the worker ended. */
    readonly exited: Promise<string>;

    private constructor(private readonly child: ChildProcess, readonly model: LoadedModelDescription) {
        this.exited = new Promise((resolve) => {
            child.once("exit", (code, signal) => {
                this.exitReason = signal ? `engine process killed by ${signal}` : `engine process exited with code ${code}`;
                for (const job of this.jobs.values()) job.fail(new EngineFailure(this.exitReason));
                this.jobs.clear();
                resolve(this.exitReason);
            });
        });
        child.on("message", (message: FromWorker) => this.dispatch(message));
    }

    /** Starts a worker and loads the model in it. Rejects with ModelLoadFailed, leaving no process behind. */
    static async start(modelId: string, options: LoadOptions): Promise<EngineProcess> {
        const child = fork(workerEntry, [], {
            serialization: "advanced",
            stdio: ["ignore", "inherit", "inherit", "ipc"],
            execArgv: workerEntry.endsWith(".ts") ? ["--import", "tsx"] : [],
            env: { ...process.env, UV_THREADPOOL_SIZE: "1" }
        });
        const loaded = await new Promise<LoadedModelDescription>((resolve, reject) => {
            const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
                reject(new ModelLoadFailed(modelId, `the engine process ${signal ? `was killed by ${signal}` : `exited with code ${code}`} while loading`));
            child.once("exit", onExit);
            child.once("error", (error) => reject(new ModelLoadFailed(modelId, error.message)));
            child.once("message", (message: FromWorker) => {
                child.off("exit", onExit);
                if (message.type === "loaded") resolve(message.model);
                else reject(new ModelLoadFailed(modelId, message.type === "loadFailed" ? message.message : "unexpected reply"));
            });
            child.send({ type: "load", options } satisfies ToWorker);
        }).catch((error: unknown) => {
            child.kill("SIGKILL");
            throw error;
        });
        return new EngineProcess(child, loaded);
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
        return new Promise((resolve, reject) => {
            let controller!: ReadableStreamDefaultController<GenerationEvent>;
            let consumerGone = false;
            const onAbort = () => this.send({ type: "cancel", id });
            // A consumer that stops reading (a client that went away) cancels the stream: stop generating, and
            // drop whatever the worker still sends for this job.
            const events = new ReadableStream<GenerationEvent>({
                start: (c) => { controller = c; },
                cancel: () => {
                    consumerGone = true;
                    onAbort();
                }
            });
            let accepted = false;
            this.jobs.set(id, {
                param: promptParam,
                accept: (promptTokens) => {
                    accepted = true;
                    resolve({ promptTokens, events });
                },
                push: (event) => {
                    if (event.type === "done") this.finish(id, signal, onAbort);
                    if (consumerGone) return;
                    controller.enqueue(event);
                    if (event.type === "done") controller.close();
                },
                fail: (error) => {
                    this.finish(id, signal, onAbort);
                    if (!accepted) reject(error);
                    else if (!consumerGone) controller.error(error);
                }
            });
            signal.addEventListener("abort", onAbort, { once: true });
            if (!this.send({ type: "generate", id, params })) this.failUnsent(id);
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
        });
    }

    /** Ends the worker; jobs still running fail with EngineFailure. */
    async dispose(): Promise<void> {
        if (!this.alive) return;
        this.send({ type: "shutdown" });
        const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
        await this.exited;
        clearTimeout(timer);
    }

    private failUnsent(id: number): void {
        this.jobs.get(id)?.fail(new EngineFailure(this.exitReason ?? "the engine process is gone"));
    }

    private finish(id: number, signal: AbortSignal, onAbort: () => void): void {
        this.jobs.delete(id);
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
            case "done": return job.push?.({ type: "done", stopReason: message.stopReason, completionTokens: message.completionTokens, text: message.text });
            case "embedded": return job.embedded?.({ vectors: message.vectors, tokenCounts: message.tokenCounts });
            case "failed": return job.fail(toError(message.error, job.param));
        }
    }
}
