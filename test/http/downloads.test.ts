/** Downloads from a local stand-in for the Hugging Face Hub: resume, checksums, tokens, and the REST jobs. */
import { readFile, stat, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HubDownloader } from "../../src/models/download/HubDownloader.js";
import type { RunningServer } from "../../src/server.js";
import { ensureFixtures, temporaryFolder } from "../support/fixtures.js";
import { startHubStandIn, type HubStandIn, type StandInFile } from "../support/hubStandIn.js";
import { postJson, startTestServer } from "../support/testServer.js";

let chatModel: Buffer;
let standIn: HubStandIn | undefined;
const repos = (): Record<string, StandInFile[]> => ({
    "tiny-org/Tiny-Chat-GGUF": [
        { path: "Tiny-Chat-Q4_K_M.gguf", content: chatModel },
        { path: "Tiny-Chat-Q8_0.gguf", content: Buffer.concat([chatModel, Buffer.from("different")]) },
        { path: "mmproj-Tiny-Chat-F16.gguf", content: Buffer.from("projector") }
    ],
    "tiny-org/Split-GGUF": [
        { path: "split/Split-Q4_K_M-00001-of-00002.gguf", content: chatModel.subarray(0, 1000) },
        { path: "split/Split-Q4_K_M-00002-of-00002.gguf", content: chatModel.subarray(1000) }
    ],
    "tiny-org/Corrupt-GGUF": [{ path: "Corrupt-Q4_K_M.gguf", content: chatModel, publishedSha256: "0".repeat(64) }]
});

beforeAll(async () => {
    chatModel = await readFile((await ensureFixtures()).chat);
});
afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
});

describe("HubDownloader", () => {
    it("downloads the default quantization into <models>/<user>/<repo>/ and verifies it", async () => {
        standIn = await startHubStandIn(repos());
        const models = await temporaryFolder();
        const downloader = new HubDownloader({ endpoint: standIn.url, token: null });
        const plan = await downloader.plan("tiny-org/Tiny-Chat-GGUF", models);
        expect(plan.files.map((file) => file.path)).toEqual(["Tiny-Chat-Q4_K_M.gguf"]);
        const progress: number[] = [];
        const [written] = await downloader.download(plan, (update) => progress.push(update.downloadedBytes));
        expect(written).toBe(path.join(models, "tiny-org", "Tiny-Chat-GGUF", "Tiny-Chat-Q4_K_M.gguf"));
        expect((await readFile(written!)).equals(chatModel)).toBe(true);
        expect(progress.at(-1)).toBe(chatModel.length);
        expect(standIn.requests.some((request) => request.url.startsWith("/blobs/"))).toBe(true);
    });

    it("downloads every part of a split model", async () => {
        standIn = await startHubStandIn(repos());
        const models = await temporaryFolder();
        const downloader = new HubDownloader({ endpoint: standIn.url, token: null });
        const written = await downloader.download(await downloader.plan("tiny-org/Split-GGUF", models));
        expect(written.map((file) => path.basename(file))).toEqual(["Split-Q4_K_M-00001-of-00002.gguf", "Split-Q4_K_M-00002-of-00002.gguf"]);
    });

    it("resumes an interrupted transfer with an HTTP range instead of starting over", async () => {
        standIn = await startHubStandIn(repos(), { interruptFirstTransferAfter: 100_000 });
        const models = await temporaryFolder();
        const downloader = new HubDownloader({ endpoint: standIn.url, token: null });
        const [written] = await downloader.download(await downloader.plan("tiny-org/Tiny-Chat-GGUF@Q8_0", models));
        expect((await readFile(written!)).equals(Buffer.concat([chatModel, Buffer.from("different")]))).toBe(true);
        const blobRequests = standIn.requests.filter((request) => request.url.startsWith("/blobs/"));
        expect(blobRequests.map((request) => request.range)).toEqual([undefined, "bytes=100000-"]);
    });

    it("resumes from a .part file left by an earlier run", async () => {
        standIn = await startHubStandIn(repos());
        const models = await temporaryFolder();
        const folder = path.join(models, "tiny-org", "Tiny-Chat-GGUF");
        await mkdir(folder, { recursive: true });
        await writeFile(path.join(folder, "Tiny-Chat-Q4_K_M.gguf.part"), chatModel.subarray(0, 5000));
        const downloader = new HubDownloader({ endpoint: standIn.url, token: null });
        const [written] = await downloader.download(await downloader.plan("tiny-org/Tiny-Chat-GGUF", models));
        expect((await readFile(written!)).equals(chatModel)).toBe(true);
        expect(standIn.requests.filter((request) => request.url.startsWith("/blobs/")).map((request) => request.range)).toEqual(["bytes=5000-"]);
    });

    it("fails on a checksum mismatch, removes the bad data and never puts the file in place", async () => {
        standIn = await startHubStandIn(repos());
        const models = await temporaryFolder();
        const downloader = new HubDownloader({ endpoint: standIn.url, token: null });
        const plan = await downloader.plan("tiny-org/Corrupt-GGUF", models);
        await expect(downloader.download(plan)).rejects.toThrow(/SHA-256 mismatch/);
        const folder = path.join(models, "tiny-org", "Corrupt-GGUF");
        await expect(stat(path.join(folder, "Corrupt-Q4_K_M.gguf"))).rejects.toThrow();
        await expect(stat(path.join(folder, "Corrupt-Q4_K_M.gguf.part"))).rejects.toThrow();
    });

    it("sends HF_TOKEN as a bearer token, and explains a 401", async () => {
        standIn = await startHubStandIn(repos(), { token: "hf_secret" });
        const models = await temporaryFolder();
        await expect(new HubDownloader({ endpoint: standIn.url, token: null }).plan("tiny-org/Tiny-Chat-GGUF", models)).rejects.toThrow(/HF_TOKEN/);
        const downloader = new HubDownloader({ endpoint: standIn.url, token: "hf_secret" });
        await downloader.download(await downloader.plan("tiny-org/Tiny-Chat-GGUF", models));
        expect(standIn.requests.at(-1)?.authorization).toBe("Bearer hf_secret");
    });
});

describe("POST /api/v1/models/download", () => {
    let server: RunningServer;
    let models: string;
    let hub: HubStandIn;
    const previousEndpoint = process.env.HF_ENDPOINT;

    beforeAll(async () => {
        chatModel ??= await readFile((await ensureFixtures()).chat);
        hub = await startHubStandIn(repos());
        process.env.HF_ENDPOINT = hub.url;
        models = await temporaryFolder();
        server = await startTestServer({ modelsDir: models });
    });
    afterAll(async () => {
        await server.close();
        await hub.close();
        if (previousEndpoint === undefined) delete process.env.HF_ENDPOINT;
        else process.env.HF_ENDPOINT = previousEndpoint;
    });

    it("runs a job whose status can be polled; the model then lists, loads and chats", async () => {
        const started = await postJson(`${server.url}/api/v1/models/download`, { model: "tiny-org/Tiny-Chat-GGUF", quantization: "Q4_K_M" });
        expect(started.status).toBe(200);
        const job = await started.json();
        expect(job).toMatchObject({ job_id: expect.stringMatching(/^job_/), total_size_bytes: chatModel.length });
        let status = job;
        for (let i = 0; i < 200 && status.status === "downloading"; i++) {
            await new Promise((resolve) => setTimeout(resolve, 25));
            status = await (await fetch(`${server.url}/api/v1/models/download/status/${job.job_id}`)).json();
        }
        expect(status).toMatchObject({ status: "completed", downloaded_bytes: chatModel.length, error: null });
        const list = await (await fetch(`${server.url}/api/v1/models`)).json();
        expect(list.models.map((model: { key: string }) => model.key)).toEqual(["tiny-chat"]);
        const chat = await postJson(`${server.url}/v1/chat/completions`, { model: "tiny-chat", messages: [{ role: "user", content: "hi" }], max_tokens: 3 });
        expect(chat.status).toBe(200);
        const again = await (await postJson(`${server.url}/api/v1/models/download`, { model: "tiny-org/Tiny-Chat-GGUF" })).json();
        expect(again.status).toBe("already_downloaded");
    });

    it("answers 400 for an unknown quantization and 404 for an unknown job", async () => {
        const response = await postJson(`${server.url}/api/v1/models/download`, { model: "tiny-org/Tiny-Chat-GGUF@IQ1_S" });
        expect(response.status).toBe(400);
        expect((await response.json()).error.message).toMatch(/Available: Q4_K_M, Q8_0|Available: Q8_0, Q4_K_M/);
        expect((await fetch(`${server.url}/api/v1/models/download/status/job_nope`)).status).toBe(404);
    });

    it("reports a failed job with its reason", async () => {
        const job = await (await postJson(`${server.url}/api/v1/models/download`, { model: "tiny-org/Corrupt-GGUF" })).json();
        let status = job;
        for (let i = 0; i < 200 && status.status === "downloading"; i++) {
            await new Promise((resolve) => setTimeout(resolve, 25));
            status = await (await fetch(`${server.url}/api/v1/models/download/status/${job.job_id}`)).json();
        }
        expect(status.status).toBe("failed");
        expect(status.error).toMatch(/SHA-256 mismatch/);
    });
});
