/**
 * Downloads GGUF files from the Hugging Face Hub into `<models folder>/<user>/<repo>/`. The Hub base URL
 * honours HF_ENDPOINT and a token HF_TOKEN, as huggingface_hub does. Each file streams into `<file>.part`;
 * an interrupted transfer resumes where it stopped (HTTP Range), also across runs; the size and the SHA-256
 * the Hub publishes are checked before the file is renamed into place, so a model never appears half-written.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ApiError, InvalidRequest } from "../../errors.js";
import { parseDownloadSpec, selectDownloadFiles, type HubFile } from "./hubFiles.js";

export class DownloadFailed extends ApiError {
    constructor(message: string, status = 502) {
        super(message, status, "server_error", "download_failed");
    }
}

export type HubSettings = {
    /** Default: $HF_ENDPOINT, else https://huggingface.co. */
    endpoint: string;
    /** Default: $HF_TOKEN. */
    token: string | null;
};

export const hubSettingsFromEnvironment = (environment: NodeJS.ProcessEnv = process.env): HubSettings => ({
    endpoint: (environment.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, ""),
    token: environment.HF_TOKEN ?? environment.HUGGING_FACE_HUB_TOKEN ?? null
});

export type DownloadPlan = {
    repo: string;
    files: HubFile[];
    totalBytes: number;
    /** Where the files go: `<models folder>/<user>/<repo>`. */
    folder: string;
};

export type DownloadProgress = { downloadedBytes: number; totalBytes: number; bytesPerSecond: number };

/** How many times one file's transfer is resumed after the connection breaks. */
const resumeAttempts = 5;

type TreeEntry = { type: string; path: string; size?: number; oid?: string; lfs?: { oid?: string; size?: number } };

export class HubDownloader {
    constructor(private readonly settings: HubSettings = hubSettingsFromEnvironment()) {}

    private headers(extra: Record<string, string> = {}): Record<string, string> {
        return { "user-agent": "lmhost", ...(this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {}), ...extra };
    }

    /** Resolves a spec (`user/repo`, `user/repo@Q8_0`, `user/repo/file.gguf`) to the files to fetch. */
    async plan(spec: string, modelsFolder: string, quantization?: string): Promise<DownloadPlan> {
        const parsed = parseDownloadSpec(quantization ? `${spec}@${quantization}` : spec);
        const files = selectDownloadFiles(parsed, await this.listFiles(parsed.repo));
        return { repo: parsed.repo, files, totalBytes: files.reduce((total, file) => total + file.size, 0), folder: path.join(modelsFolder, ...parsed.repo.split("/")) };
    }

    private async listFiles(repo: string): Promise<HubFile[]> {
        const files: HubFile[] = [];
        let url: string | null = `${this.settings.endpoint}/api/models/${repo}/tree/main?recursive=true`;
        while (url !== null) {
            const response: Response = await fetch(url, { headers: this.headers() }).catch((error: Error) => {
                throw new DownloadFailed(`Cannot reach ${this.settings.endpoint}: ${error.message}`);
            });
            if (response.status === 401 || response.status === 404) {
                throw new InvalidRequest(`${repo} was not found on ${this.settings.endpoint} (or needs a token: set HF_TOKEN).`, "model", "model_not_found_on_hub");
            }
            if (!response.ok) throw new DownloadFailed(`${this.settings.endpoint} answered ${response.status} listing ${repo}`);
            for (const entry of (await response.json()) as TreeEntry[]) {
                if (entry.type !== "file") continue;
                files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size ?? 0, sha256: entry.lfs?.oid ?? null });
            }
            url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("link") ?? "")?.[1] ?? null;
        }
        return files;
    }

    /** Files of the plan already complete on disk (right size) are skipped. Resolves with the local paths. */
    async download(plan: DownloadPlan, onProgress: (progress: DownloadProgress) => void = () => {}, signal?: AbortSignal): Promise<string[]> {
        let finishedBytes = 0;
        const started = Date.now();
        let resumedBytes = 0;
        const report = (current: number) => {
            const seconds = (Date.now() - started) / 1000;
            const downloaded = finishedBytes + current;
            onProgress({ downloadedBytes: downloaded, totalBytes: plan.totalBytes, bytesPerSecond: seconds > 0 ? (downloaded - resumedBytes) / seconds : 0 });
        };
        const paths: string[] = [];
        for (const file of plan.files) {
            const target = path.join(plan.folder, ...file.path.split("/"));
            if (!target.startsWith(plan.folder + path.sep)) throw new DownloadFailed(`refusing the file path ${file.path}`, 400);
            if ((await stat(target).catch(() => null))?.size === file.size) {
                finishedBytes += file.size;
                resumedBytes += file.size;
                report(0);
            } else {
                resumedBytes += await this.downloadFile(plan.repo, file, target, report, signal);
                finishedBytes += file.size;
            }
            paths.push(target);
        }
        return paths;
    }

    /** Returns how many bytes were already on disk from an earlier attempt. */
    private async downloadFile(repo: string, file: HubFile, target: string, report: (current: number) => void, signal?: AbortSignal): Promise<number> {
        await mkdir(path.dirname(target), { recursive: true });
        const partial = `${target}.part`;
        const alreadyThere = (await stat(partial).catch(() => null))?.size ?? 0;
        if (alreadyThere > file.size) await rm(partial);
        const url = `${this.settings.endpoint}/${repo}/resolve/main/${file.path.split("/").map(encodeURIComponent).join("/")}`;
        let lastError: unknown;
        for (let attempt = 0; attempt <= resumeAttempts; attempt++) {
            const have = (await stat(partial).catch(() => null))?.size ?? 0;
            if (have === file.size) break;
            try {
                await this.transfer(url, partial, have, file, report, signal);
                lastError = undefined;
                break;
            } catch (error) {
                if (signal?.aborted || error instanceof DownloadFailed) throw error;
                lastError = error;
            }
        }
        if (lastError !== undefined) throw new DownloadFailed(`Downloading ${file.path} failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
        const size = (await stat(partial)).size;
        if (size !== file.size) throw new DownloadFailed(`${file.path}: expected ${file.size} bytes, got ${size}`);
        if (file.sha256 !== null) {
            const digest = await sha256Of(partial);
            if (digest !== file.sha256) {
                await rm(partial, { force: true });
                throw new DownloadFailed(`${file.path}: SHA-256 mismatch (expected ${file.sha256}, got ${digest}); the partial file was removed`);
            }
        }
        await rename(partial, target);
        return Math.min(alreadyThere, file.size);
    }

    private async transfer(url: string, partial: string, have: number, file: HubFile, report: (current: number) => void, signal?: AbortSignal): Promise<void> {
        const response = await fetch(url, { headers: this.headers(have > 0 ? { range: `bytes=${have}-` } : {}), redirect: "follow", ...(signal ? { signal } : {}) });
        if (response.status === 404) throw new DownloadFailed(`${file.path} is not on the Hub any more`, 404);
        if (!response.ok || response.body === null) throw new Error(`the Hub answered ${response.status}`);
        // A server that ignores Range sends the whole file: start over.
        const resuming = have > 0 && response.status === 206;
        let written = resuming ? have : 0;
        const counted = Readable.fromWeb(response.body as never).on("data", (chunk: Buffer) => {
            written += chunk.length;
            report(written);
        });
        await pipeline(counted, createWriteStream(partial, { flags: resuming ? "a" : "w" }), ...(signal ? [{ signal }] : []));
        if (written < file.size) throw new Error(`the connection closed after ${written} of ${file.size} bytes`);
    }
}

async function sha256Of(file: string): Promise<string> {
    const hash = createHash("sha256");
    await pipeline(createReadStream(file), hash);
    return hash.digest("hex");
}
