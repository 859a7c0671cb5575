/**
 * The models on disk: scans the model folders on every listing (so files added or removed while the server
 * runs show up at once), reads each GGUF header once per file version, and assigns unique ids.
 * Reads nothing outside the folders it was given, and never loads weights.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { AmbiguousModel, ModelNotFound } from "../../errors.js";
import type { ModelKind } from "../../engine/protocol.js";
import { readModelHeader, type ModelHeader } from "../../engine/readModelHeader.js";
import type { Logger } from "../../logger.js";
import { baseModelId, isGgufFile, parseGgufFileName, quantizationFromStem } from "./ggufFileNames.js";
import { assignModelIds, resolveModelReference, type IdCandidate } from "./modelIds.js";

/** The API's `type` of a model. */
export type ModelType = ModelKind;

export type CatalogEntry = {
    id: string;
    type: ModelType;
    publisher: string;
    repo: string;
    /** Absolute path of the file to load (the first part of a split model). */
    path: string;
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

/** Architectures that only encode (embedding models), whatever their pooling says. */
const encoderArchitectures = new Set([
    "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert", "neo-bert", "eurobert",
    "gemma-embedding", "t5encoder"
]);

export function modelTypeOf(header: Pick<ModelHeader, "architecture" | "poolingType">): ModelType {
    const pools = header.poolingType !== null && header.poolingType > 0;
    return pools || encoderArchitectures.has(header.architecture) ? "embeddings" : "llm";
}

/** Used when a header states no trained context length. */
const fallbackContextLength = 2048;
const maxFolderDepth = 8;

type FoundFile = { root: string; absolute: string; relative: string; size: number; mtimeMs: number };

export class ModelCatalog {
    private readonly headers = new Map<string, { version: string; header: ModelHeader | Error }>();
    private readonly reported = new Set<string>();
    private lastUnusable: UnusableModelFile[] = [];

    constructor(readonly folders: readonly string[], private readonly logger: Logger) {}

    /** Files that look like models but cannot be used, with why; as of the last listing. */
    get unusable(): readonly UnusableModelFile[] {
        return this.lastUnusable;
    }

    async list(): Promise<CatalogEntry[]> {
        const files = (await Promise.all(this.folders.map((folder) => this.findGgufFiles(folder)))).flat();
        const unusable: UnusableModelFile[] = [];
        const pending: Array<Omit<CatalogEntry, "id">> = [];
        const partsByModel = new Map<string, FoundFile[]>();
        for (const file of files) {
            const name = parseGgufFileName(path.basename(file.relative));
            if (name.isProjector) continue;
            if (name.split) {
                const key = `${path.dirname(file.absolute)}\0${name.stem}\0${name.split.count}`;
                partsByModel.set(key, [...(partsByModel.get(key) ?? []), file]);
                if (name.split.part !== 1) continue;
            }
            const entry = await this.describe(file, unusable);
            if (entry !== null) pending.push(entry);
        }
        for (const entry of pending) {
            const name = parseGgufFileName(path.basename(entry.path));
            if (!name.split) continue;
            const parts = partsByModel.get(`${path.dirname(entry.path)}\0${name.stem}\0${name.split.count}`) ?? [];
            entry.sizeBytes = parts.reduce((total, part) => total + part.size, 0);
            if (parts.length !== name.split.count) {
                unusable.push({ path: entry.path, reason: `split model has ${parts.length} of ${name.split.count} parts` });
            }
        }
        const complete = pending.filter((entry) => !unusable.some((problem) => problem.path === entry.path));
        this.lastUnusable = unusable;
        for (const problem of unusable) this.reportOnce(problem);
        const ids = assignModelIds(complete.map((entry) => entry.candidate));
        return complete.map((entry, index) => ({ ...entry, id: ids[index]! }));
    }

    /** Finds the model a request names; throws ModelNotFound or AmbiguousModel. */
    async resolve(requested: string): Promise<CatalogEntry> {
        const entries = await this.list();
        const resolution = resolveModelReference(requested, entries);
        if (resolution.kind === "found") return resolution.item;
        if (resolution.kind === "ambiguous") throw new AmbiguousModel(requested, resolution.ids);
        throw new ModelNotFound(requested, entries.map((entry) => entry.id));
    }

    private async describe(file: FoundFile, unusable: UnusableModelFile[]): Promise<Omit<CatalogEntry, "id"> | null> {
        const header = await this.readHeader(file);
        if (header instanceof Error) {
            unusable.push({ path: file.absolute, reason: header.message });
            return null;
        }
        const segments = file.relative.split("/");
        const publisher = segments.length > 1 ? segments[0]! : "local";
        const repo = segments.length > 2 ? segments[1]! : "";
        const stem = parseGgufFileName(segments[segments.length - 1]!).stem;
        const type = modelTypeOf(header);
        const quantization = header.quantization ?? quantizationFromStem(stem) ?? "unknown";
        return {
            type, publisher, repo, path: file.absolute, sizeBytes: file.size, modifiedAt: new Date(file.mtimeMs),
            architecture: header.architecture, quantization,
            maxContextLength: header.trainedContextLength ?? fallbackContextLength,
            header,
            candidate: { baseId: baseModelId(stem, type), quantization, relativePath: file.relative, publisher, repo }
        };
    }

    private async readHeader(file: FoundFile): Promise<ModelHeader | Error> {
        const version = `${file.size}:${file.mtimeMs}`;
        const cached = this.headers.get(file.absolute);
        if (cached?.version === version) return cached.header;
        const header = await readModelHeader(file.absolute).catch((error: unknown) =>
            new Error(`not a readable GGUF file (${error instanceof Error ? error.message : String(error)})`));
        this.headers.set(file.absolute, { version, header });
        return header;
    }

    private reportOnce(problem: UnusableModelFile): void {
        const key = `${problem.path}\0${problem.reason}`;
        if (this.reported.has(key)) return;
        this.reported.add(key);
        this.logger.warn(`Skipping ${problem.path}: ${problem.reason}`);
    }

    private async findGgufFiles(root: string): Promise<FoundFile[]> {
        const found: FoundFile[] = [];
        const visit = async (folder: string, depth: number): Promise<void> => {
            const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
            for (const entry of entries) {
                if (entry.name.startsWith(".")) continue;
                const absolute = path.join(folder, entry.name);
                const info = entry.isSymbolicLink() ? await stat(absolute).catch(() => null) : entry;
                if (info === null) continue;
                if (info.isDirectory() && depth < maxFolderDepth) {
                    await visit(absolute, depth + 1);
                } else if (info.isFile() && isGgufFile(entry.name)) {
                    const details = await stat(absolute).catch(() => null);
                    if (details === null) continue;
                    const relative = path.relative(root, absolute).split(path.sep).join("/");
                    found.push({ root, absolute, relative, size: details.size, mtimeMs: details.mtimeMs });
                }
            }
        };
        await visit(root, 0);
        return found.sort((a, b) => a.relative.localeCompare(b.relative));
    }
}
