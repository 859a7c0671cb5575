/** LM Studio's native REST v1 downloads: start a download from the Hugging Face Hub, then poll its job. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ApiError } from "../../../errors.js";
import type { DownloadJob } from "../../../models/download/DownloadJobs.js";
import { ErrorEnvelope } from "../../../schemas/errorEnvelope.js";
import { V1DownloadJob, V1DownloadRequest, V1JobParams } from "../../../schemas/v1/models.js";
import type { RouteDependencies } from "../../app.js";

function toV1Job(job: DownloadJob) {
    return {
        job_id: job.id,
        status: job.status,
        total_size_bytes: job.totalBytes,
        downloaded_bytes: job.downloadedBytes,
        bytes_per_second: job.bytesPerSecond,
        started_at: job.startedAt.toISOString(),
        completed_at: job.completedAt?.toISOString() ?? null,
        error: job.error,
        files: job.files
    };
}

export const v1DownloadRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, { services }) => {
    const tags = ["LM Studio REST API v1 (model management)"];
    const errors = { "4xx": ErrorEnvelope, "5xx": ErrorEnvelope };
    app.post("/api/v1/models/download", {
        schema: { summary: "Download a model from the Hugging Face Hub into the models folder", tags, body: V1DownloadRequest, response: { 200: V1DownloadJob, ...errors } }
    }, async (request) => toV1Job(await services.downloads.start(request.body.model, request.body.quantization)));

    app.get("/api/v1/models/download/status/:job_id", {
        schema: { summary: "Progress of a download", tags, params: V1JobParams, response: { 200: V1DownloadJob, ...errors } }
    }, async (request) => {
        const job = services.downloads.get(request.params.job_id);
        if (!job) throw new ApiError(`No download job "${request.params.job_id}".`, 404, "invalid_request_error", "job_not_found", "job_id");
        return toV1Job(job);
    });
};
