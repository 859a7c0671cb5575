/**
 * Ollama's model management and version probe: `/api/version`, `/api/tags`, `/api/show`, `/api/ps`, `/api/delete`,
 * `/api/copy` and `/api/pull` (from the Hugging Face Hub only), in Ollama's shapes (its `api/types.go`); `HEAD /` and
 * `GET /` (Ollama is running) are in ../webApp.ts, which shares `/` with the web app. Names are Ollama names
 * (ollamaNames.ts); errors are `{"error": "..."}`.
 */
import path from "node:path";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { InvalidRequest } from "../../../errors.js";
import { resolveFamily } from "../../../families/resolveFamily.js";
import { baseModelId } from "../../../models/catalog/ggufFileNames.js";
import { deletableParts, deleteParts, isInside, linkModelFiles, validCopyName } from "../../../models/catalog/modelFiles.js";
import type { DownloadJob } from "../../../models/download/DownloadJobs.js";
import { DownloadFailed } from "../../../models/download/HubDownloader.js";
import type { ModelInstance } from "../../../models/lifecycle/ModelLifecycle.js";
import {
    OllamaCopyRequest, OllamaDeleteRequest, OllamaError, OllamaModelList, OllamaProgress, OllamaProgressLine, OllamaPullRequest, OllamaRunningList,
    OllamaShowRequest, OllamaShowResponse, OllamaVersion, ollamaApiVersion, type OllamaListedModel, type OllamaRunningModel, type OllamaShowResponse as ShowResponse
} from "../../../schemas/ollama/models.js";
import { templateSupportsTools } from "../../../services/chatPrompt.js";
import type { ModelListing } from "../../../services/ModelService.js";
import type { RouteDependencies } from "../../app.js";
import { clientDisconnectSignal } from "../../clientDisconnect.js";
import { toHttpError } from "../../errorEnvelope.js";
import { startEventStream } from "../../sse.js";
import { chunkSerializer } from "../completionReplies.js";
import { findOllamaModel, ollamaDetails, ollamaDigest, ollamaName, speaksOllamaApi } from "./ollamaShapes.js";

/** What Ollama writes for an instance that never expires (keep_alive < 0): now plus the largest Go duration, about 292 years. */
const neverExpires = () => new Date(Date.now() + 292 * 365.25 * 24 * 3600 * 1000).toISOString();

function toListed(model: ModelListing): OllamaListedModel {
    const name = ollamaName(model);
    return { name, model: name, modified_at: model.modifiedAt.toISOString(), size: model.sizeBytes, digest: ollamaDigest(model), details: ollamaDetails(model) };
}

function toRunning(instance: ModelInstance): OllamaRunningModel {
    const { entry, engine } = instance;
    const name = ollamaName(entry);
    // An idle instance unloads its TTL after its last request; a busy one, its TTL after the requests end (from now, at the earliest).
    const idleSince = instance.inFlight > 0 ? Date.now() : instance.lastUsedAt;
    return {
        name, model: name,
        size: engine.estimate.modelRam + engine.estimate.contextRam + engine.estimate.vram,
        digest: ollamaDigest(entry), details: ollamaDetails(entry),
        expires_at: instance.ttlSeconds === null ? neverExpires() : new Date(idleSince + instance.ttlSeconds * 1000).toISOString(),
        size_vram: engine.estimate.vram,
        context_length: engine.model.contextLength
    };
}

function capabilities(model: ModelListing): ShowResponse["capabilities"] {
    if (model.type === "embeddings") return ["embedding"];
    return ["completion", ...(templateSupportsTools(model.header) ? ["tools" as const] : []), ...(resolveFamily(model.header.chatTemplate).reasons ? ["thinking" as const] : [])];
}

/** The header's keys as GGUF names them; only those the header states. */
function modelInfo(model: ModelListing): Record<string, unknown> {
    const { header } = model;
    const arch = header.architecture;
    const info: Record<string, unknown> = { "general.architecture": arch };
    if (header.name !== null) info["general.name"] = header.name;
    if (header.sizeLabel !== null) info["general.size_label"] = header.sizeLabel;
    if (header.trainedContextLength !== null) info[`${arch}.context_length`] = header.trainedContextLength;
    if (header.embeddingLength !== null) info[`${arch}.embedding_length`] = header.embeddingLength;
    if (header.poolingType !== null) info[`${arch}.pooling_type`] = header.poolingType;
    if (header.splitCount !== null) info["split.count"] = header.splitCount;
    return info;
}

const requiredModel = (body: { model?: string; name?: string }): string => {
    const requested = body.model ?? body.name;
    if (requested === undefined || requested.trim() === "") throw new InvalidRequest("model is required", "model");
    return requested;
};

/**
 * What `/api/pull` downloads: `hf.co/<user>/<repo>[:<tag>]` (also `huggingface.co/...`, or `<user>/<repo>[:<tag>]`),
 * the tag a quantization (`Q4_K_M`) or a file name, `latest` or none the default quantization. Anything else is a
 * name of Ollama's registry, which lmhost does not pull from.
 */
export function hubSpecOf(name: string): string {
    const trimmed = name.trim().replace(/^https?:\/\//i, "");
    const hub = /^(?:hf\.co|huggingface\.co)\//i.exec(trimmed);
    const rest = hub ? trimmed.slice(hub[0].length) : trimmed;
    const registryName = () => new InvalidRequest(`"${name}" is not a Hugging Face model: lmhost pulls only from the Hugging Face Hub, not from Ollama's registry. ` +
        "Use hf.co/<user>/<repo> or hf.co/<user>/<repo>:<quantization> (such as hf.co/Qwen/Qwen3-0.6B-GGUF:Q8_0).", "model", "not_a_hub_model");
    const match = /^([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)(?::([\w.-]+))?$/.exec(rest);
    // `user/repo` without hf.co: a Hub repository, unless its first segment is a registry host or Ollama's library namespace.
    if (!match || (!hub && (match[1]!.includes(".") || match[1]!.toLowerCase() === "library"))) throw registryName();
    const [, user, repo, tag] = match as unknown as [string, string, string, string | undefined];
    return tag === undefined || tag.toLowerCase() === "latest" ? `${user}/${repo}` : `${user}/${repo}@${tag}`;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds).unref());

/** Each file of the job as Ollama's per-layer progress: its bytes so far, from the job's total (files come one after another). */
function fileProgress(job: DownloadJob): Array<{ status: string; digest: string; total: number; completed: number }> {
    let before = 0;
    return job.parts.map((part) => {
        const completed = job.status === "completed" || job.status === "already_downloaded" ? part.size : Math.max(0, Math.min(part.size, job.downloadedBytes - before));
        before += part.size;
        const digest = part.sha256 === null ? path.basename(part.path) : `sha256:${part.sha256}`;
        return { status: `pulling ${part.sha256 === null ? path.basename(part.path) : part.sha256.slice(0, 12)}`, digest, total: part.size, completed };
    });
}

/** How often a streaming pull reports progress. */
const progressIntervalMs = 250;

export const ollamaModelRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["Ollama API"];
    const errors = { "4xx": OllamaError, "5xx": OllamaError };
    // As Ollama answers delete and copy: 200 and no body.
    const emptyBody = Type.Unknown({ description: "Empty: no body" });

    app.get("/api/version", {
        schema: { summary: `The Ollama API level lmhost speaks: ${ollamaApiVersion}`, tags, response: { 200: OllamaVersion } }
    }, async () => ({ version: ollamaApiVersion }));

    app.get("/api/tags", {
        schema: { summary: "The LLMs and embedding models lmhost can serve, under their Ollama names", tags, response: { 200: OllamaModelList, ...errors } }
    }, async () => ({ models: (await services.models.list()).filter(speaksOllamaApi).map(toListed) }));

    app.post("/api/show", {
        schema: { summary: "A model's details, header keys, chat template and capabilities", tags, body: OllamaShowRequest, response: { 200: OllamaShowResponse, ...errors } }
    }, async (request) => {
        const model = await findOllamaModel(services.models, requiredModel(request.body), "show");
        return {
            modelfile: `# Modelfile generated by lmhost for ${ollamaName(model)}\nFROM ${model.path}\n`,
            parameters: "",
            template: model.header.chatTemplate ?? "",
            details: ollamaDetails(model),
            model_info: modelInfo(model),
            capabilities: capabilities(model),
            modified_at: model.modifiedAt.toISOString()
        };
    });

    app.get("/api/ps", {
        schema: { summary: "The loaded model instances", tags, response: { 200: OllamaRunningList, ...errors } }
    }, async () => ({ models: services.models.instances().filter((instance) => speaksOllamaApi(instance.entry)).map(toRunning) }));

    app.delete("/api/delete", {
        schema: {
            summary: "Delete a model's files (every part); only models in lmhost's own models folders, never the Hugging Face cache or Ollama's store",
            tags, body: OllamaDeleteRequest, response: { 200: emptyBody, ...errors }
        }
    }, async (request, reply) => {
        const model = await findOllamaModel(services.models, requiredModel(request.body), "show");
        const sources = services.models.sources();
        // Checked before anything is unloaded: a refused delete leaves the model as it was.
        const parts = await deletableParts(model, sources);
        await Promise.all(services.models.instances().filter((instance) => instance.entry.path === model.path)
            .map((instance) => services.models.unload(instance.id).catch(() => undefined)));
        await deleteParts(parts, sources);
        request.log.info(`Deleted ${model.path} (${ollamaName(model)}) on request`);
        return reply.code(200).send(undefined);
    });

    app.post("/api/copy", {
        schema: {
            summary: "Give a model a second name: its files hard-linked into lmhost's models folder as <destination>, no data copied",
            tags, body: OllamaCopyRequest, response: { 200: emptyBody, ...errors }
        }
    }, async (request, reply) => {
        const { source, destination } = request.body;
        const model = await findOllamaModel(services.models, source, "copy");
        const name = destination.trim().replace(/:latest$/i, "");
        if (!validCopyName(name)) {
            throw new InvalidRequest(`"${destination}" cannot name a copy: lmhost lists copies as <name>:latest, <name> being letters, digits, '.', '_' and '-' ` +
                "(no namespace, no other tag).", "destination", "invalid_model_name");
        }
        const id = baseModelId(name, model.type);
        if (id !== name.toLowerCase()) {
            throw new InvalidRequest(`A copy named "${name}" would list as ${id}:latest (${model.type === "embeddings" ? "embedding models' ids start with text-embedding-" : "a quantization suffix is not part of an id"}); ` +
                `use "${id}".`, "destination", "invalid_model_name");
        }
        const listed = await services.models.list();
        if (listed.some((entry) => entry.candidate.baseId === id || ollamaName(entry).toLowerCase() === `${id}:latest`)) {
            throw new InvalidRequest(`A model named "${id}" already exists.`, "destination", "model_exists");
        }
        const folders = services.models.sources().filter((candidate) => candidate.kind === "folder").map((candidate) => candidate.path);
        // In the models folder of the source when it is in one (a hard link needs the same filesystem), else the first, where downloads go.
        const folder = folders.find((candidate) => isInside(model.path, candidate)) ?? folders[0];
        if (folder === undefined) throw new InvalidRequest("lmhost has no models folder to copy into.", "destination", "no_models_folder");
        const written = await linkModelFiles(model, name, folder);
        request.log.info(`Copied ${ollamaName(model)} as ${id}:latest (${written.join(", ")})`);
        return reply.code(200).send(undefined);
    });

    app.post("/api/pull", {
        schema: {
            summary: "Download a model from the Hugging Face Hub (hf.co/<user>/<repo>[:<quantization>]) into lmhost's models folder; NDJSON progress unless stream is false",
            tags, body: OllamaPullRequest,
            response: {
                200: {
                    description: "With `stream: false`, `{\"status\": \"success\"}`; else NDJSON, one progress object per line, a last `{\"error\"}` line on a failure",
                    content: { "application/json": { schema: OllamaProgress }, "application/x-ndjson": { schema: OllamaProgressLine } }
                },
                ...errors
            }
        }
    }, async (request, reply) => {
        const spec = hubSpecOf(requiredModel(request.body));
        // Resolving the repository and its files comes first: a name the Hub does not know fails with its status.
        const job = await services.downloads.start(spec);
        if (request.body.stream === false) {
            await job.finished;
            if (job.status === "failed") throw new DownloadFailed(job.error ?? "the download failed");
            return { status: "success" };
        }
        const gone = clientDisconnectSignal(reply);
        const stream = startEventStream(reply, chunkSerializer(reply, OllamaProgress), { framing: "ndjson" });
        await stream.send({ status: "pulling manifest" });
        const reported = new Map<string, number>();
        const report = async () => {
            for (const progress of fileProgress(job)) {
                if (reported.get(progress.digest) === progress.completed) continue;
                reported.set(progress.digest, progress.completed);
                await stream.send(progress);
            }
        };
        // The download runs on as a job whatever the client does (as /api/v1/models/download's do); the stream reports it.
        while (job.status === "downloading" && !gone.aborted) {
            await report();
            await Promise.race([job.finished, sleep(progressIntervalMs)]);
        }
        if (gone.aborted) return reply;
        if (job.status === "failed") {
            stream.fail(toHttpError(new DownloadFailed(job.error ?? "the download failed")));
            return reply;
        }
        await report();
        // Each file's SHA-256 was checked against the Hub's as it arrived.
        for (const status of ["verifying sha256 digest", "writing manifest", "success"]) await stream.send({ status });
        stream.end();
        return reply;
    });
};
