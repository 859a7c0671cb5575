/**
 * Ollama's model management API over HTTP, on the real engine: probes, tags, show, ps, delete, copy and pull (from a
 * stand-in for the Hugging Face Hub), with raw requests and with the official `ollama` client. Responses are
 * assigned to the client's own types (dates and maps as JSON carries them), so tsc checks the shapes against them.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { Ollama, type ListResponse, type ModelResponse, type ProgressResponse, type ShowResponse, type VersionResponse } from "ollama";
import type { Static } from "typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OllamaModelList, OllamaProgress, OllamaRunningList, OllamaShowResponse } from "../../src/schemas/ollama/models.js";
import type { RunningServer } from "../../src/server.js";
import { ensureFixtures, placeModel, temporaryFolder } from "../support/fixtures.js";
import { LlamaFileType } from "../support/gguf/fixtureModels.js";
import { writeHeaderOnlyModel } from "../support/gguf/headerOnlyModel.js";
import { startHubStandIn, type HubStandIn } from "../support/hubStandIn.js";
import { postJson, startTestServer } from "../support/testServer.js";

/** A type of the `ollama` client as JSON carries it: its Dates are strings, its Maps objects. */
type Wire<T> = T extends Date ? string : T extends Map<string, infer V> ? Record<string, V> : T extends Array<infer U> ? Array<Wire<U>>
    : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

// The client has one type for /api/tags's and /api/ps's models; Ollama's server has two (api/types.go): a listing
// has no expires_at/size_vram, a running model no modified_at. And what Ollama leaves out when empty (omitempty):
// show has no license, system or messages for lmhost's models; progress lines carry digest/total/completed only
// while a file downloads.
type ListedModel = Wire<Omit<ModelResponse, "expires_at" | "size_vram">>;
type RunningModel = Wire<Omit<ModelResponse, "modified_at">>;
type Shown = Wire<Omit<ShowResponse, "license" | "system" | "messages">>;
type Progress = Wire<Pick<ProgressResponse, "status">> & Partial<Wire<ProgressResponse>>;

const ollamaBlob = "a".repeat(64);
let server: RunningServer;
let hub: HubStandIn;
let models: string;
let store: string;
let huggingFace: string;
let outside: string;
let client: Ollama;
let chatModel: Buffer;
const previousEndpoint = process.env.HF_ENDPOINT;

const getJson = async (url: string) => {
    const response = await fetch(`${server.url}${url}`);
    expect(response.status, url).toBe(200);
    return response.json();
};
const tags = async (): Promise<Static<typeof OllamaModelList>> => getJson("/api/tags");
const names = async () => (await tags()).models.map((model) => model.name);
const deleteModel = (body: unknown) => fetch(`${server.url}/api/delete`, { method: "DELETE", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const ndjsonLines = async (response: Response) => (await response.text()).split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Static<typeof OllamaProgress> | { error: string });

/** Header-only GGUF bytes (no tensors): enough for the catalog, which never loads weights. */
async function headerOnly(options: Parameters<typeof writeHeaderOnlyModel>[1]): Promise<Buffer> {
    const file = path.join(await temporaryFolder(), "model.gguf");
    await writeHeaderOnlyModel(file, options);
    return readFile(file);
}

beforeAll(async () => {
    const fixtures = await ensureFixtures();
    chatModel = await readFile(fixtures.chat);
    hub = await startHubStandIn({
        "tiny-org/Pulled-GGUF": [{ path: "Pulled-Q4_K_M.gguf", content: chatModel }, { path: "Pulled-Q8_0.gguf", content: Buffer.concat([chatModel, Buffer.from("q8")]) }],
        "tiny-org/Streamed-GGUF": [{ path: "Streamed-Q4_K_M.gguf", content: chatModel }],
        "tiny-org/Quiet-GGUF": [{ path: "Quiet-Q4_K_M.gguf", content: chatModel }],
        "tiny-org/Split-GGUF": [
            { path: "split/Split-Q4_K_M-00001-of-00002.gguf", content: await headerOnly({ fileType: LlamaFileType.MOSTLY_Q4_K_M, contextLength: 4096, split: { index: 0, count: 2 } }) },
            { path: "split/Split-Q4_K_M-00002-of-00002.gguf", content: await headerOnly({ fileType: LlamaFileType.MOSTLY_Q4_K_M, split: { index: 1, count: 2 } }) }
        ],
        "tiny-org/Corrupt-GGUF": [{ path: "Corrupt-Q4_K_M.gguf", content: chatModel, publishedSha256: "0".repeat(64) }]
    });
    process.env.HF_ENDPOINT = hub.url;

    models = await temporaryFolder();
    await placeModel(models, "lmhost-test/Tiny-Chat-GGUF/Tiny-Chat-F16.gguf", fixtures.chat);
    await placeModel(models, "lmhost-test/Tiny-Embed-GGUF/tiny-embed-F32.gguf", fixtures.embedding);
    await placeModel(models, "lmhost-test/Tiny-Reasoner-GGUF/tiny-reasoner-F16.gguf", fixtures.reasoningChat);
    await placeModel(models, "lmhost-test/Tiny-Reranker-GGUF/tiny-reranker-F16.gguf", fixtures.reranker);
    // Copies, not links: these are deleted and hard-linked by the tests.
    await placeModel(models, "lmhost-test/Spare-GGUF/spare-F16.gguf", fixtures.chat, "copy");
    await placeModel(models, "lmhost-test/Spare-Embed-GGUF/spare-embed-F32.gguf", fixtures.embedding, "copy");
    // A link whose target is not lmhost's: deleting it removes the link only.
    await placeModel(models, "lmhost-test/Linked-GGUF/linked-F16.gguf", fixtures.chat);
    // A folder in the models folder that is a link to somewhere else: its files are not lmhost's to delete.
    outside = await temporaryFolder();
    await placeModel(outside, "Outside-GGUF/outside-F16.gguf", fixtures.chat, "copy");
    await symlink(outside, path.join(models, "elsewhere"));

    store = await temporaryFolder();
    const manifest = path.join(store, "manifests", "registry.ollama.ai", "library", "tinyllama", "1b");
    await mkdir(path.dirname(manifest), { recursive: true });
    await mkdir(path.join(store, "blobs"), { recursive: true });
    await writeHeaderOnlyModel(path.join(store, "blobs", `sha256-${ollamaBlob}`), { fileType: LlamaFileType.MOSTLY_Q4_K_M, contextLength: 8192 });
    await writeFile(manifest, JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: "application/vnd.ollama.image.model", digest: `sha256:${ollamaBlob}`, size: 1 }] }));

    huggingFace = await temporaryFolder();
    const snapshot = path.join(huggingFace, "models--someone--Cached-GGUF", "snapshots", "abc123");
    await mkdir(snapshot, { recursive: true });
    await mkdir(path.join(huggingFace, "models--someone--Cached-GGUF", "refs"), { recursive: true });
    await writeFile(path.join(huggingFace, "models--someone--Cached-GGUF", "refs", "main"), "abc123");
    await writeHeaderOnlyModel(path.join(snapshot, "Cached-Q8_0.gguf"), { fileType: LlamaFileType.MOSTLY_Q8_0, contextLength: 4096 });

    server = await startTestServer({ modelsDir: models, ollamaModels: store, hfCache: huggingFace, maxJitModels: 4 });
    client = new Ollama({ host: server.url });
});
afterAll(async () => {
    await server?.close();
    await hub?.close();
    if (previousEndpoint === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = previousEndpoint;
});

describe("probes", () => {
    it("answers GET / and HEAD / with Ollama is running", async () => {
        const response = await fetch(`${server.url}/`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
        expect(await response.text()).toBe("Ollama is running");
        const head = await fetch(`${server.url}/`, { method: "HEAD" });
        expect(head.status).toBe(200);
        expect(await head.text()).toBe("");
    });

    it("reports the Ollama API version lmhost speaks", async () => {
        const body: Wire<VersionResponse> = await getJson("/api/version");
        expect(body).toEqual({ version: "0.12.0" });
        expect(await client.version()).toEqual({ version: "0.12.0" });
    });
});

describe("GET /api/tags", () => {
    it("lists LLMs and embedding models under their Ollama names, rerankers left out", async () => {
        const listed: { models: ListedModel[] } = await tags();
        expect(listed.models.map((model) => model.name).sort()).toEqual([
            "cached:latest", "linked:latest", "outside:latest", "spare:latest", "text-embedding-spare-embed:latest", "text-embedding-tiny-embed:latest",
            "tiny-chat:latest", "tiny-reasoner:latest", "tinyllama:1b"
        ]);
        const chat = listed.models.find((model) => model.name === "tiny-chat:latest")!;
        expect(chat).toMatchObject({
            model: "tiny-chat:latest", size: chatModel.length,
            details: { parent_model: "", format: "gguf", family: "llama", families: ["llama"], quantization_level: "F16" }
        });
        expect(new Date(chat.modified_at).getTime()).toBeGreaterThan(0);
        expect(chat.digest).toMatch(/^[0-9a-f]{64}$/);
        // The blob's own digest for Ollama's store; a stable one for other files.
        expect(listed.models.find((model) => model.name === "tinyllama:1b")).toMatchObject({ digest: ollamaBlob, details: { quantization_level: "Q4_K_M" } });
        expect((await tags()).models.find((model) => model.name === "tiny-chat:latest")!.digest).toBe(chat.digest);
        expect(listed.models.find((model) => model.name === "text-embedding-tiny-embed:latest")!.details.family).toBe("bert");
    });

    it("is what the ollama client's list() returns", async () => {
        const listed: ListResponse = await client.list();
        expect(listed.models.map((model) => model.name)).toContain("tiny-chat:latest");
    });
});

describe("POST /api/show", () => {
    it("shows details, header keys, the chat template and capabilities", async () => {
        const response = await postJson(`${server.url}/api/show`, { model: "tiny-chat" });
        expect(response.status).toBe(200);
        const shown: Shown = await response.json() as Static<typeof OllamaShowResponse>;
        expect(shown).toMatchObject({
            parameters: "", details: { format: "gguf", family: "llama", quantization_level: "F16" },
            capabilities: ["completion", "tools"],
            model_info: { "general.architecture": "llama", "general.name": "Tiny Chat", "llama.context_length": 2048 }
        });
        expect(shown.model_info["llama.embedding_length"]).toBeGreaterThan(0);
        expect(shown.template).toContain("<|im_start|>");
        expect(shown.modelfile).toContain("FROM ");
        expect(new Date(shown.modified_at).getTime()).toBeGreaterThan(0);
    });

    it("says which models think and which embed; takes the deprecated name field", async () => {
        expect((await client.show({ model: "tiny-reasoner:latest" })).capabilities).toEqual(["completion", "tools", "thinking"]);
        const embed = await (await postJson(`${server.url}/api/show`, { name: "text-embedding-tiny-embed" })).json();
        expect(embed.capabilities).toEqual(["embedding"]);
        expect(embed.model_info["bert.pooling_type"]).toBeGreaterThan(0);
        expect((await client.show({ model: "tinyllama:1b" })).model_info).toMatchObject({ "general.architecture": "llama", "llama.context_length": 8192 });
    });

    it("answers an unknown model (a reranker too) with Ollama's 404, and a missing name with a 400", async () => {
        for (const model of ["nope", "tiny-reranker", "tinyllama:2b"]) {
            const response = await postJson(`${server.url}/api/show`, { model });
            expect(response.status, model).toBe(404);
            expect(await response.json()).toEqual({ error: `model '${model}' not found` });
        }
        const missing = await postJson(`${server.url}/api/show`, {});
        expect(missing.status).toBe(400);
        expect(await missing.json()).toEqual({ error: "model is required" });
        const error = await client.show({ model: "nope" }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(Error);
        expect(error).toMatchObject({ name: "ResponseError", status_code: 404, error: "model 'nope' not found" });
    });
});

describe("GET /api/ps", () => {
    it("lists loaded instances with their memory, context and when they expire", async () => {
        expect(await getJson("/api/ps")).toEqual({ models: [] });
        expect((await postJson(`${server.url}/api/v1/models/load`, { model: "tiny-chat", context_length: 512, ttl: 600 })).status).toBe(200);
        expect((await postJson(`${server.url}/api/v1/models/load`, { model: "text-embedding-tiny-embed" })).status).toBe(200);
        try {
            const running: Static<typeof OllamaRunningList> = await getJson("/api/ps");
            const asOllama: { models: RunningModel[] } = running;
            const chat = asOllama.models.find((model) => model.name === "tiny-chat:latest")!;
            expect(chat).toMatchObject({ model: "tiny-chat:latest", details: { family: "llama", format: "gguf" } });
            expect(running.models.find((model) => model.name === "tiny-chat:latest")!.context_length).toBe(512);
            expect(chat.size).toBeGreaterThan(0);
            expect(chat.size_vram).toBe(0);
            expect(chat.digest).toBe((await tags()).models.find((model) => model.name === "tiny-chat:latest")!.digest);
            const expiresIn = new Date(chat.expires_at).getTime() - Date.now();
            expect(expiresIn).toBeGreaterThan(590_000);
            expect(expiresIn).toBeLessThanOrEqual(600_000);
            // No TTL: Ollama's "forever", about 292 years from now.
            const embed = asOllama.models.find((model) => model.name === "text-embedding-tiny-embed:latest")!;
            expect(new Date(embed.expires_at).getUTCFullYear()).toBeGreaterThan(2300);
            expect((await client.ps()).models.map((model) => model.name).sort()).toEqual(["text-embedding-tiny-embed:latest", "tiny-chat:latest"]);
        } finally {
            await fetch(`${server.url}/api/v1/models/unload-all`, { method: "POST" });
        }
    });
});

describe("POST /api/copy", () => {
    it("hard-links the model under the new name, which lists, shows and loads", async () => {
        const response = await postJson(`${server.url}/api/copy`, { source: "spare:latest", destination: "my-copy" });
        expect(response.status, await response.clone().text()).toBe(200);
        expect(await response.text()).toBe("");
        const copied = path.join(models, "lmhost-test", "my-copy", "my-copy.gguf");
        expect((await stat(copied)).nlink).toBe(2);
        expect(await names()).toContain("my-copy:latest");
        expect((await client.show({ model: "my-copy" })).details.quantization_level).toBe("F16");
        // The client's copy, from a model of Ollama's store into lmhost's folder.
        await client.copy({ source: "tinyllama:1b", destination: "tinyllama-mine:latest" });
        expect(await names()).toContain("tinyllama-mine:latest");
        expect((await stat(path.join(models, "ollama", "tinyllama-mine", "tinyllama-mine.gguf"))).nlink).toBe(2);
    });

    it("refuses names it cannot list the copy under, taken names, and unknown sources", async () => {
        const refusals: Array<[unknown, number, RegExp]> = [
            [{ source: "spare", destination: "tiny-chat" }, 400, /already exists/],
            [{ source: "spare", destination: "someone/else" }, 400, /cannot name a copy/],
            [{ source: "spare", destination: "other:v2" }, 400, /cannot name a copy/],
            [{ source: "spare", destination: "spare-q8_0" }, 400, /would list as spare:latest/],
            [{ source: "text-embedding-spare-embed", destination: "vectors" }, 400, /text-embedding-vectors/],
            [{ source: "nope", destination: "fine" }, 404, /^model "nope" not found$/]
        ];
        for (const [body, status, message] of refusals) {
            const response = await postJson(`${server.url}/api/copy`, body);
            expect(response.status, JSON.stringify(body)).toBe(status);
            expect((await response.json()).error).toMatch(message);
        }
        expect(existsSync(path.join(models, "lmhost-test", "fine"))).toBe(false);
    });
});

describe("DELETE /api/delete", () => {
    it("unloads a loaded model, deletes its file, and the catalog no longer lists it", async () => {
        await postJson(`${server.url}/api/copy`, { source: "spare", destination: "doomed" });
        expect((await postJson(`${server.url}/api/v1/models/load`, { model: "doomed" })).status).toBe(200);
        expect((await client.ps()).models.map((model) => model.name)).toEqual(["doomed:latest"]);
        const response = await deleteModel({ model: "doomed:latest" });
        expect(response.status, await response.clone().text()).toBe(200);
        expect(await response.text()).toBe("");
        expect((await client.ps()).models).toEqual([]);
        expect(existsSync(path.join(models, "lmhost-test", "doomed"))).toBe(false);
        expect(await names()).not.toContain("doomed:latest");
        // A hard link: the other name's data is untouched.
        expect((await stat(path.join(models, "lmhost-test", "Spare-GGUF", "spare-F16.gguf"))).size).toBe(chatModel.length);
    });

    it("deletes a symlinked model as the link, leaving its target; the client's delete sends the name", async () => {
        const fixtures = await ensureFixtures();
        await client.delete({ model: "linked" });
        expect(existsSync(path.join(models, "lmhost-test", "Linked-GGUF"))).toBe(false);
        expect((await stat(fixtures.chat)).size).toBe(chatModel.length);
        expect(await names()).not.toContain("linked:latest");
    });

    it("refuses models of Ollama's store, the Hugging Face cache, and files outside lmhost's folders, touching nothing", async () => {
        const refusals: Array<[string, RegExp, string]> = [
            ["tinyllama:1b", /Ollama's model store/, path.join(store, "blobs", `sha256-${ollamaBlob}`)],
            ["cached", /Hugging Face cache/, path.join(huggingFace, "models--someone--Cached-GGUF", "snapshots", "abc123", "Cached-Q8_0.gguf")],
            ["outside", /not inside lmhost's models folders/, path.join(outside, "Outside-GGUF", "outside-F16.gguf")]
        ];
        for (const [model, message, file] of refusals) {
            const response = await deleteModel({ model });
            expect(response.status, model).toBe(403);
            expect((await response.json()).error).toMatch(message);
            expect(existsSync(file), file).toBe(true);
        }
        expect(await names()).toEqual(expect.arrayContaining(["tinyllama:1b", "cached:latest", "outside:latest"]));
    });

    it("answers an unknown model with Ollama's 404 (a ResponseError in the client) and a missing name with a 400", async () => {
        const response = await deleteModel({ model: "nope" });
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({ error: "model 'nope' not found" });
        expect((await deleteModel({})).status).toBe(400);
        const error = await client.delete({ model: "nope:latest" }).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ name: "ResponseError", status_code: 404, error: "model 'nope:latest' not found" });
    });
});

describe("POST /api/pull", () => {
    it("streams Ollama's NDJSON progress for a Hugging Face name, then the model lists and shows under it", async () => {
        const response = await postJson(`${server.url}/api/pull`, { model: "hf.co/tiny-org/Streamed-GGUF:Q4_K_M" });
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("application/x-ndjson");
        const lines: Progress[] = (await ndjsonLines(response)) as Static<typeof OllamaProgress>[];
        expect(lines[0]).toEqual({ status: "pulling manifest" });
        expect(lines.slice(-3)).toEqual([{ status: "verifying sha256 digest" }, { status: "writing manifest" }, { status: "success" }]);
        const progress = lines.slice(1, -3);
        expect(progress.length).toBeGreaterThan(0);
        const digest = (await import("node:crypto")).createHash("sha256").update(chatModel).digest("hex");
        for (const line of progress) expect(line).toMatchObject({ status: `pulling ${digest.slice(0, 12)}`, digest: `sha256:${digest}`, total: chatModel.length });
        expect(progress.at(-1)!.completed).toBe(chatModel.length);
        expect((await readFile(path.join(models, "tiny-org", "Streamed-GGUF", "Streamed-Q4_K_M.gguf"))).equals(chatModel)).toBe(true);
        expect(await names()).toContain("streamed:latest");
        // The name it was pulled by names it too.
        expect((await postJson(`${server.url}/api/show`, { model: "hf.co/tiny-org/Streamed-GGUF:Q4_K_M" })).status).toBe(200);
    });

    it("pulls with the ollama client's progress stream, and again (already there) at once", async () => {
        const seen: ProgressResponse[] = [];
        for await (const part of await client.pull({ model: "huggingface.co/tiny-org/Pulled-GGUF:q8_0", stream: true })) seen.push(part);
        expect(seen.map((part) => part.status)).toEqual(expect.arrayContaining(["pulling manifest", "verifying sha256 digest", "success"]));
        expect(seen.find((part) => part.status.startsWith("pulling ") && part.completed === chatModel.length + 2)).toBeDefined();
        expect(existsSync(path.join(models, "tiny-org", "Pulled-GGUF", "Pulled-Q8_0.gguf"))).toBe(true);
        const again: ProgressResponse[] = [];
        for await (const part of await client.pull({ model: "hf.co/tiny-org/Pulled-GGUF:Q8_0", stream: true })) again.push(part);
        expect(again.at(-1)!.status).toBe("success");
        expect((await client.list()).models.map((model) => model.name)).toContain("pulled:latest");
    });

    it("answers stream: false with one success object", async () => {
        const response = await postJson(`${server.url}/api/pull`, { name: "tiny-org/Quiet-GGUF", stream: false });
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        expect(await response.json()).toEqual({ status: "success" });
        expect(await client.pull({ model: "hf.co/tiny-org/Quiet-GGUF:latest" })).toEqual({ status: "success" });
        expect(await names()).toContain("quiet:latest");
    });

    it("pulls every part of a split model, and deletes every part", async () => {
        expect(await client.pull({ model: "hf.co/tiny-org/Split-GGUF" })).toEqual({ status: "success" });
        const folder = path.join(models, "tiny-org", "Split-GGUF", "split");
        expect(existsSync(path.join(folder, "Split-Q4_K_M-00002-of-00002.gguf"))).toBe(true);
        const split = (await tags()).models.find((model) => model.name === "split:latest")!;
        expect(split.size).toBe((await stat(path.join(folder, "Split-Q4_K_M-00001-of-00002.gguf"))).size + (await stat(path.join(folder, "Split-Q4_K_M-00002-of-00002.gguf"))).size);
        expect((await deleteModel({ model: "split" })).status).toBe(200);
        expect(existsSync(path.join(models, "tiny-org", "Split-GGUF"))).toBe(false);
        expect(existsSync(path.join(models, "tiny-org"))).toBe(true);
        expect(await names()).not.toContain("split:latest");
    });

    it("refuses names of Ollama's registry and unknown repositories or quantizations, with a 400", async () => {
        for (const model of ["llama3.2", "llama3.2:3b", "library/llama3", "registry.ollama.ai/library/llama3:8b", "hf.co/nope", "../../etc/passwd"]) {
            const response = await postJson(`${server.url}/api/pull`, { model });
            expect(response.status, model).toBe(400);
            expect((await response.json()).error, model).toMatch(/lmhost pulls only from the Hugging Face Hub/);
        }
        const missing = await postJson(`${server.url}/api/pull`, { model: "hf.co/tiny-org/Missing-GGUF" });
        expect(missing.status).toBe(400);
        expect((await missing.json()).error).toMatch(/not found/);
        const quantization = await postJson(`${server.url}/api/pull`, { model: "hf.co/tiny-org/Pulled-GGUF:IQ1_S" });
        expect(quantization.status).toBe(400);
        expect((await quantization.json()).error).toMatch(/no IQ1_S file/);
        const error = await client.pull({ model: "llama3.2" }).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ name: "ResponseError", status_code: 400 });
    });

    it("ends the stream with an error line when the download fails; the client's iterator throws it", async () => {
        const lines = await ndjsonLines(await postJson(`${server.url}/api/pull`, { model: "hf.co/tiny-org/Corrupt-GGUF" }));
        expect(lines[0]).toEqual({ status: "pulling manifest" });
        expect(lines.at(-1)).toEqual({ error: expect.stringMatching(/SHA-256 mismatch/) });
        expect(lines.some((line) => "status" in line && line.status === "success")).toBe(false);
        const iterate = async () => {
            for await (const part of await client.pull({ model: "hf.co/tiny-org/Corrupt-GGUF", stream: true })) void part;
        };
        await expect(iterate()).rejects.toThrow(/SHA-256 mismatch/);
        const quiet = await postJson(`${server.url}/api/pull`, { model: "hf.co/tiny-org/Corrupt-GGUF", stream: false });
        expect(quiet.status).toBe(502);
        expect((await quiet.json()).error).toMatch(/SHA-256 mismatch/);
        expect(await names()).not.toContain("corrupt:latest");
    });
});
