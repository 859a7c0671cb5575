/**
 * Downloads started over REST run in the background as jobs whose progress can be polled.
 * Planning (resolving the repository and its files) happens before the job exists, so a bad model name fails
 * the request itself.
 */
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../logger.js";
import type { DownloadPlan, HubDownloader } from "./HubDownloader.js";

export type DownloadStatus = "downloading" | "completed" | "failed" | "already_downloaded";

export type DownloadJob = {
    id: string;
    repo: string;
    status: DownloadStatus;
    totalBytes: number;
    downloadedBytes: number;
    bytesPerSecond: number;
    startedAt: Date;
    completedAt: Date | null;
    error: string | null;
    files: string[];
    /** The files in download order: where each goes, its size, and the SHA-256 the Hub publishes (null: none). */
    parts: Array<{ path: string; size: number; sha256: string | null }>;
    /** Resolves when the download has ended, either way (status then says which). */
    finished: Promise<void>;
};

async function alreadyComplete(plan: DownloadPlan): Promise<boolean> {
    const sizes = await Promise.all(plan.files.map((file) => stat(path.join(plan.folder, ...file.path.split("/"))).then((info) => info.size, () => -1)));
    return sizes.every((size, index) => size === plan.files[index]!.size);
}

export class DownloadJobs {
    private readonly jobs = new Map<string, DownloadJob>();

    constructor(private readonly downloader: HubDownloader, private readonly modelsFolder: string, private readonly logger: Logger) {}

    async start(spec: string, quantization?: string): Promise<DownloadJob> {
        const plan = await this.downloader.plan(spec, this.modelsFolder, quantization);
        const files = plan.files.map((file) => path.join(plan.folder, ...file.path.split("/")));
        const done = await alreadyComplete(plan);
        const job: DownloadJob = {
            id: `job_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
            repo: plan.repo,
            status: done ? "already_downloaded" : "downloading",
            totalBytes: plan.totalBytes,
            downloadedBytes: done ? plan.totalBytes : 0,
            bytesPerSecond: 0,
            startedAt: new Date(),
            completedAt: done ? new Date() : null,
            error: null,
            files,
            parts: plan.files.map((file, index) => ({ path: files[index]!, size: file.size, sha256: file.sha256 })),
            finished: Promise.resolve()
        };
        this.jobs.set(job.id, job);
        if (!done) {
            this.logger.info(`Downloading ${plan.files.map((file) => file.path).join(", ")} from ${plan.repo} (${plan.totalBytes} bytes)`);
            job.finished = this.downloader.download(plan, (progress) => {
                job.downloadedBytes = progress.downloadedBytes;
                job.bytesPerSecond = progress.bytesPerSecond;
            }).then(() => {
                job.status = "completed";
                job.downloadedBytes = job.totalBytes;
                job.completedAt = new Date();
                this.logger.info(`Downloaded ${plan.repo} into ${plan.folder}`);
            }, (error: unknown) => {
                job.status = "failed";
                job.error = error instanceof Error ? error.message : String(error);
                job.completedAt = new Date();
                this.logger.error(`Download of ${plan.repo} failed: ${job.error}`);
            });
        }
        return job;
    }

    get(id: string): DownloadJob | undefined {
        return this.jobs.get(id);
    }
}
