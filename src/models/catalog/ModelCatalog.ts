/**
 * The models on disk: scans its sources on every listing (so files added or removed while the server runs show
 * up at once), reads each GGUF header once per file version, and assigns ids unique across all sources.
 * One scan runs at a time: a listing asked for during a scan gets the last complete one (or waits for the first),
 * and a model not found in it waits for the running scan. Header reads run a few at a time, each with a time
 * budget; a file that fails is remembered by size and mtime and not read again until it changes.
 * Reads nothing outside its sources, writes nothing, and never loads weights.
 */
import path from "node:path";
import { AmbiguousModel, ModelNotFound, ShuttingDown } from "../../errors.js";
import type { ModelKind } from "../../engine/protocol.js";
import { readModelHeader, type ModelHeader } from "../../engine/readModelHeader.js";
import type { Logger } from "../../logger.js";
import { baseModelId, parseGgufFileName, quantizationFromStem } from "./ggufFileNames.js";
import { assignModelIds, resolveModelReference, type IdCandidate } from "./modelIds.js";
import type { FoundModelFile } from "./sources/FoundModelFile.js";
import { findInHuggingFaceCache } from "./sources/huggingFaceCache.js";
import { findInModelsFolder } from "./sources/modelsFolder.js";
import { findInOllamaStore } from "./sources/ollamaStore.js";
import { mapConcurrently } from "./mapConcurrently.js";

/** Where models are found: LM Studio-style folders, the Hugging Face cache, Ollama's store. */
export type ModelSource = { kind: "folder" | "huggingface" | "ollama"; path: string };

const finders: Record<ModelSource["kind"], (root: string) => Promise<FoundModelFile[]>> = {
    folder: findInModelsFolder,
    huggingface: findInHuggingFaceCache,
    ollama: findInOllamaStore
};

/** The API's `type` of a model. */
export type ModelType = ModelKind;

export type CatalogEntry = {
    id: string;
    type: ModelType;
    publisher: string;
    repo: string;
    /** Absolute path of the file to load (the first part of a split model). */
    path: string;
    /** Which source found it. */
    source: string;
    sizeBytes: number;
    modifiedAt: Date;
    architecture: string;
    quantization: string;
    /** The context length the model was trained with. */
    maxContextLength: number;
    header: ModelHeader;
    candidate: IdCandidate;
};

export type UnusableModelFile = { path: string; reason: string };

export type CatalogOptions = {
    /** How many headers are read at once. Default 8: header reads wait on the disk, not on a CPU. */
    headerReadConcurrency?: number;
    /** How long one file's header may take to read before the file is reported unusable. Default 10,000 ms. */
    headerReadBudgetMs?: number;
    /** Reads one file's header. Default: readModelHeader. */
    readHeader?: (path: string, signal: AbortSignal) => Promise<ModelHeader>;
};

type Scan = { entries: CatalogEntry[]; unusable: UnusableModelFile[] };

/** Architectures that only encode (embedding models), whatever their pooling says. */
const encoderArchitectures = new Set([
    "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert", "neo-bert", "eurobert",
    "gemma-embedding", "t5encoder"
]);

/** llama.cpp's LLAMA_POOLING_TYPE_RANK: a reranker's classification head scores query-document pairs. */
const rankPooling = 4;

export function modelTypeOf(header: Pick<ModelHeader, "architecture" | "poolingType">): ModelType {
    if (header.poolingType === rankPooling) return "reranker";
    const pools = header.poolingType !== null && header.poolingType > 0;
    return pools || encoderArchitectures.has(header.architecture) ? "embeddings" : "llm";
}

/** Used when a header states no trained context length. */
const fallbackContextLength = 2048;

const splitGroup = (file: string, stem: string, count: number) => `${path.dirname(file)}\0${stem}\0${count}`;

export class ModelCatalog {
    private readonly headers = new Map<string, { version: string; header: ModelHeader | Error }>();
    private readonly reported = new Set<string>();
    private lastScan: Scan | null = null;
    private runningScan: Promise<Scan> | null = null;
    private readonly closing = new AbortController();
    private readonly headerReadConcurrency: number;
    private readonly headerReadBudgetMs: number;
    private readonly readModelFileHeader: (path: string, signal: AbortSignal) => Promise<ModelHeader>;
    readonly sources: readonly ModelSource[];

    constructor(sources: readonly (ModelSource | string)[], private readonly logger: Logger, options: CatalogOptions = {}) {
        this.sources = sources.map((source) => (typeof source === "string" ? { kind: "folder", path: source } : source));
        this.headerReadConcurrency = options.headerReadConcurrency ?? 8;
        this.headerReadBudgetMs = options.headerReadBudgetMs ?? 10_000;
        this.readModelFileHeader = options.readHeader ?? readModelHeader;
    }

    /** Files that look like models but cannot be used, with why; as of the last complete listing. */
    get unusable(): readonly UnusableModelFile[] {
        return this.lastScan?.unusable ?? [];
    }

    /** The models as of a scan started now, or, while a scan runs, as of the last complete one. */
    async list(): Promise<CatalogEntry[]> {
        if (this.runningScan !== null && this.lastScan !== null) return this.lastScan.entries;
        return (await this.scan()).entries;
    }

    /** Aborts the header reads in flight; listings fail from now on. */
    close(): void {
        this.closing.abort(new ShuttingDown());
    }

    private scan(): Promise<Scan> {
        if (this.runningScan === null) {
            this.runningScan = this.scanSources().finally(() => { this.runningScan = null; });
        }
        return this.runningScan;
    }

    private async scanSources(): Promise<Scan> {
        this.closing.signal.throwIfAborted();
        const files = (await Promise.all(this.sources.map((source) => finders[source.kind](source.path)))).flat();
        const unusable: UnusableModelFile[] = [];
        const partsByModel = new Map<string, FoundModelFile[]>();
        const models: FoundModelFile[] = [];
        for (const file of files) {
            const name = parseGgufFileName(file.fileName);
            if (name.isProjector) continue;
            if (name.split) {
                const key = splitGroup(file.path, name.stem, name.split.count);
                partsByModel.set(key, [...(partsByModel.get(key) ?? []), file]);
                if (name.split.part !== 1) continue;
            }
            models.push(file);
        }
        const described = await mapConcurrently(models, this.headerReadConcurrency, (file) => this.describe(file, unusable));
        const pending = described.filter((entry) => entry !== null);
        for (const entry of pending) {
            const name = parseGgufFileName(path.basename(entry.path));
            if (!name.split) continue;
            const parts = partsByModel.get(splitGroup(entry.path, name.stem, name.split.count)) ?? [];
            entry.sizeBytes = parts.reduce((total, part) => total + part.size, 0);
            if (parts.length !== name.split.count) {
                unusable.push({ path: entry.path, reason: `split model has ${parts.length} of ${name.split.count} parts` });
            }
        }
        unusable.sort((a, b) => a.path.localeCompare(b.path));
        const unusablePaths = new Set(unusable.map((problem) => problem.path));
        const complete = pending.filter((entry) => !unusablePaths.has(entry.path));
        for (const problem of unusable) this.reportOnce(problem);
        const ids = assignModelIds(complete.map((entry) => entry.candidate));
        this.lastScan = { entries: complete.map((entry, index) => ({ ...entry, id: ids[index]! })), unusable };
        return this.lastScan;
    }

    /** Finds the model a request names; throws ModelNotFound or AmbiguousModel. */
    async resolve(requested: string): Promise<CatalogEntry> {
        const stale = this.runningScan !== null && this.lastScan !== null;
        let entries = await this.list();
        let resolution = resolveModelReference(requested, entries);
        if (resolution.kind !== "found" && stale) {
            // The listing came from the last complete scan; a file added since may have come after the running
            // scan began too, so it is looked for in one that starts after that.
            await this.runningScan?.catch(() => undefined);
            entries = (await this.scan()).entries;
            resolution = resolveModelReference(requested, entries);
        }
        if (resolution.kind === "found") return resolution.item;
        if (resolution.kind === "ambiguous") throw new AmbiguousModel(requested, resolution.ids);
        throw new ModelNotFound(requested, entries.map((entry) => entry.id));
    }

    private async describe(file: FoundModelFile, unusable: UnusableModelFile[]): Promise<Omit<CatalogEntry, "id"> | null> {
        const header = await this.readHeader(file);
        if (header instanceof Error) {
            unusable.push({ path: file.path, reason: header.message });
            return null;
        }
        const stem = parseGgufFileName(file.fileName).stem;
        const type = modelTypeOf(header);
        const quantization = header.quantization ?? quantizationFromStem(stem) ?? "unknown";
        return {
            type, publisher: file.publisher, repo: file.repo, path: file.path, source: file.source,
            sizeBytes: file.size, modifiedAt: new Date(file.mtimeMs),
            architecture: header.architecture, quantization,
            maxContextLength: header.trainedContextLength ?? fallbackContextLength,
            header,
            candidate: { baseId: baseModelId(stem, type), quantization, relativePath: file.relativePath, publisher: file.publisher, repo: file.repo }
        };
    }

    private async readHeader(file: FoundModelFile): Promise<ModelHeader | Error> {
        const version = `${file.size}:${file.mtimeMs}`;
        const cached = this.headers.get(file.path);
        if (cached?.version === version) return cached.header;
        const overBudget = AbortSignal.timeout(this.headerReadBudgetMs);
        const signal = AbortSignal.any([this.closing.signal, overBudget]);
        const header = await this.readModelFileHeader(file.path, signal).catch((error: unknown) => {
            this.closing.signal.throwIfAborted();
            if (overBudget.aborted) return new Error(`its header took more than ${this.headerReadBudgetMs} ms to read`);
            return new Error(`not a readable GGUF file (${error instanceof Error ? error.message : String(error)})`);
        });
        this.headers.set(file.path, { version, header });
        return header;
    }

    private reportOnce(problem: UnusableModelFile): void {
        const key = `${problem.path}\0${problem.reason}`;
        if (this.reported.has(key)) return;
        this.reported.add(key);
        this.logger.warn(`Skipping ${problem.path}: ${problem.reason}`);
    }
}
