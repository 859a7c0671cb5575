/**
 * Which GGUF files of a Hugging Face repository a download means: `user/repo` picks a sensible default
 * quantization, `user/repo@Q8_0` a quantization, `user/repo/file.gguf` (or `user/repo@file.gguf`) one file.
 * A split model always comes with all its parts. Vision projectors are never picked.
 */
import { InvalidRequest } from "../../errors.js";
import { isGgufFile, parseGgufFileName, quantizationFromStem } from "../catalog/ggufFileNames.js";

export type HubFile = {
    /** Path inside the repository. */
    path: string;
    size: number;
    /** The SHA-256 the Hub publishes for LFS files; null when it has none. */
    sha256: string | null;
};

export type DownloadSpec = { repo: string; quantization: string | null; file: string | null };

/** Most wanted first: what LM Studio and Ollama default to, then larger, then smaller. */
const preferredQuantizations = ["Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q6_K", "Q8_0", "Q4_0", "IQ4_XS", "Q3_K_M", "Q3_K_L", "Q2_K", "F16", "BF16", "F32"];

export function parseDownloadSpec(spec: string): DownloadSpec {
    const cleaned = spec.trim().replace(/^https?:\/\/[^/]+\//, "").replace(/^hf\.co\//, "");
    const at = cleaned.lastIndexOf("@");
    const [path, suffix] = at === -1 ? [cleaned, null] : [cleaned.slice(0, at), cleaned.slice(at + 1)];
    const segments = path.split("/").filter(Boolean);
    // Repository names as the Hub allows them; anything else could steer the Hub URL or the folder written to.
    const repoSegment = /^[A-Za-z0-9][\w.-]*$/;
    if (segments.length < 2 || !repoSegment.test(segments[0]!) || !repoSegment.test(segments[1]!) || segments.some((segment) => segment === "." || segment === "..")) {
        throw new InvalidRequest(`"${spec}" is not a Hugging Face model: use user/repo, user/repo@quantization or user/repo/file.gguf.`, "model");
    }
    const repo = `${segments[0]}/${segments[1]}`;
    const file = segments.length > 2 ? segments.slice(2).join("/") : suffix !== null && isGgufFile(suffix) ? suffix : null;
    const quantization = suffix !== null && !isGgufFile(suffix) ? suffix.toUpperCase() : null;
    return { repo, quantization, file };
}

const quantizationOf = (file: HubFile) => {
    const name = parseGgufFileName(file.path.split("/").at(-1)!);
    return quantizationFromStem(name.stem) ?? quantizationFromStem(file.path.split("/").slice(-2, -1)[0] ?? "");
};

/** All parts of the split model `file` belongs to (or just `file`). */
function withSplitParts(file: HubFile, files: HubFile[]): HubFile[] {
    const name = parseGgufFileName(file.path.split("/").at(-1)!);
    if (!name.split) return [file];
    const folder = file.path.split("/").slice(0, -1).join("/");
    return files.filter((candidate) => {
        const other = parseGgufFileName(candidate.path.split("/").at(-1)!);
        return candidate.path.split("/").slice(0, -1).join("/") === folder && other.stem === name.stem && other.split?.count === name.split!.count;
    }).sort((a, b) => a.path.localeCompare(b.path));
}

export function selectDownloadFiles(spec: DownloadSpec, listing: HubFile[]): HubFile[] {
    const models = listing.filter((file) => isGgufFile(file.path) && !parseGgufFileName(file.path.split("/").at(-1)!).isProjector);
    if (models.length === 0) throw new InvalidRequest(`${spec.repo} has no GGUF model files.`, "model", "no_gguf_files");
    if (spec.file !== null) {
        const wanted = models.find((file) => file.path === spec.file || file.path.split("/").at(-1) === spec.file);
        if (!wanted) throw new InvalidRequest(`${spec.repo} has no file ${spec.file}. GGUF files: ${models.map((file) => file.path).join(", ")}`, "model", "file_not_found");
        return withSplitParts(wanted, models);
    }
    const available = [...new Set(models.map(quantizationOf).filter((quantization) => quantization !== null))] as string[];
    let chosen: string | null;
    if (spec.quantization !== null) {
        chosen = available.find((quantization) => quantization === spec.quantization) ?? null;
        if (chosen === null) {
            throw new InvalidRequest(`${spec.repo} has no ${spec.quantization} file. Available: ${available.join(", ") || "none named by quantization"}`, "quantization", "quantization_not_found");
        }
    } else {
        chosen = preferredQuantizations.find((quantization) => available.includes(quantization)) ?? available[0] ?? null;
    }
    const first = chosen === null
        ? [...models].sort((a, b) => a.size - b.size)[0]!
        : models.filter((file) => quantizationOf(file) === chosen).sort((a, b) => a.path.localeCompare(b.path))[0]!;
    return withSplitParts(first, models);
}
