/**
 * Bad input of every kind on every POST endpoint: a clear OpenAI-shaped error with the right status, and the
 * server still serves afterwards. (errors.test.ts covers the general cases; this file goes parameter by
 * parameter and through broken model files.)
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { lyingGgufFiles } from "../support/gguf/lyingHeaders.js";
import { ensureFixtures, standardModelsFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
let modelsDir: string;
const chat = { model: "tiny-chat", messages: [{ role: "user", content: "hi" }] };
const completion = { model: "tiny-chat", prompt: "hi" };
const embedding = { model: "text-embedding-tiny-embed", input: "hi" };

async function expectClientError(response: Response, status = 400): Promise<{ message: string; param: string | null; code: string | null }> {
    expect(response.status).toBe(status);
    const body = await response.json();
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(body.error.message).not.toMatch(/\n\s+at /);
    return body.error;
}

beforeAll(async () => {
    modelsDir = await standardModelsFolder();
    const chatBytes = await readFile((await ensureFixtures()).chat);
    await mkdir(path.join(modelsDir, "broken", "files"), { recursive: true });
    // A header that reads fine, with the tensor data cut off: listed, but llama.cpp cannot load it.
    await writeFile(path.join(modelsDir, "broken", "files", "truncated-F16.gguf"), chatBytes.subarray(0, Math.floor(chatBytes.length / 2)));
    // The magic, then garbage: not even a header.
    await writeFile(path.join(modelsDir, "broken", "files", "garbage-F16.gguf"), Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(64, 0xff)]));
    await writeFile(path.join(modelsDir, "broken", "files", "notes.gguf"), "these are my notes, not a model");
    // Headers that claim more than the file holds (2^63 key-values, an array of 2^40 strings): they used to stall
    // every listing while node-llama-cpp's reader allocated without end.
    for (const [name, bytes] of Object.entries(lyingGgufFiles())) await writeFile(path.join(modelsDir, "broken", "files", name), bytes);
    server = await startTestServer({ modelsDir, bodyLimit: "64KB", contextLength: 256 });
});
afterAll(() => server.close());
afterEach(async () => {
    expect((await fetch(`${server.url}/api/v0/models`)).status, "the server still serves").toBe(200);
});

const parameterCases: Array<[string, unknown]> = [
    ["temperature", -0.1], ["temperature", 2.5], ["temperature", "warm"], ["temperature", null],
    ["top_p", -1], ["top_p", 1.01], ["top_k", -1], ["top_k", 1.5], ["min_p", 2],
    ["repeat_penalty", 0], ["repeat_penalty", -1], ["presence_penalty", 3], ["frequency_penalty", -2.5],
    ["max_tokens", -2], ["max_tokens", 10_000_001], ["max_tokens", "lots"], ["max_tokens", 3.7],
    ["seed", 1.5], ["seed", "x"], ["stop", 7], ["stop", [1, 2]], ["stop", Array.from({ length: 17 }, () => "s")],
    ["stream", "yes"], ["n", 3], ["logit_bias", { "abc": 1 }], ["logit_bias", { "1": 500 }], ["ttl", 0], ["cache_prompt", "no"]
];

describe("every sampling parameter out of range or of the wrong type -> 400 naming it", () => {
    for (const [endpoint, body] of [["/api/v0/chat/completions", chat], ["/v1/chat/completions", chat], ["/api/v0/completions", completion], ["/v1/completions", completion]] as const) {
        it(`on ${endpoint}`, async () => {
            for (const [param, value] of parameterCases) {
                const error = await expectClientError(await postJson(`${server.url}${endpoint}`, { ...body, [param]: value }));
                expect(error.param ?? "", `${param}=${JSON.stringify(value)}`).toMatch(new RegExp(`^${param}`));
            }
        });
    }
});

describe("messages, prompts and inputs", () => {
    it.each([
        [{ messages: [] }, "messages"],
        [{ messages: {} }, "messages"],
        [{ messages: [{ content: "no role" }] }, "messages[0].role"],
        [{ messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
        [{ messages: [{ role: "user", content: 42 }] }, "messages[0].content"],
        [{ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }, "messages[0].content[0].type"],
        [{ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "1", type: "function", function: { name: "f" } }] }] }, "messages[0].tool_calls[0].function.arguments"],
        [{ tools: [{ type: "function", function: { name: "bad name!" } }] }, "tools[0].function.name"],
        [{ tool_choice: "sometimes" }, "tool_choice"],
        [{ response_format: { type: "xml" } }, "response_format.type"],
        [{ max_tokens: 0 }, "max_tokens"],
        [{ max_completion_tokens: 0 }, "max_completion_tokens"]
    ])("chat %j -> 400 on %s", async (change, param) => {
        const error = await expectClientError(await postJson(`${server.url}/v1/chat/completions`, { ...chat, ...change }));
        expect(error.param).toBe(param);
    });

    it("empty and oversized embedding inputs -> 400; 2000 inputs are embedded", async () => {
        for (const input of ["", [], [""], ["ok", 5], Array.from({ length: 2049 }, () => "x")]) {
            await expectClientError(await postJson(`${server.url}/v1/embeddings`, { ...embedding, input }));
        }
        const many = await postJson(`${server.url}/v1/embeddings`, { ...embedding, input: Array.from({ length: 2000 }, (_, index) => `text ${index}`) });
        expect(many.status).toBe(200);
        expect((await many.json()).data).toHaveLength(2000);
    });

    it("a prompt over the context length -> 400 context_length_exceeded, streaming or not", async () => {
        for (const stream of [false, true]) {
            const error = await expectClientError(await postJson(`${server.url}/v1/completions`, { ...completion, prompt: "word ".repeat(400), stream }));
            expect(error.code).toBe("context_length_exceeded");
        }
    });

    it("a body over --body-limit -> 413", async () => {
        const error = await expectClientError(await postJson(`${server.url}/v1/completions`, { ...completion, prompt: "x".repeat(70_000) }), 413);
        expect(error.code).toBe("request_too_large");
    });

    it("a JSON body that is not an object, or no body at all -> 400", async () => {
        for (const body of ["null", "42", '"text"', "[]"]) await expectClientError(await postJson(`${server.url}/v1/chat/completions`, body));
        await expectClientError(await fetch(`${server.url}/v1/chat/completions`, { method: "POST" }));
    });
});

describe("model names and model files", () => {
    it("never resolves a name to a path outside the catalog", async () => {
        for (const model of ["..", "../..", "../../../../etc/passwd", "/etc/passwd", "broken/../../etc", "tiny-chat\u0000", "%2e%2e%2f%2e%2e", "C:\\Windows\\win.ini"]) {
            const error = await expectClientError(await postJson(`${server.url}/v1/chat/completions`, { ...chat, model }), 404);
            expect(error.code).toBe("model_not_found");
        }
        for (const url of ["/v1/models/..%2F..%2Fetc%2Fpasswd", "/api/v0/models/%00", "/api/v0/models/../../etc/passwd"]) {
            expect((await fetch(`${server.url}${url}`)).status, url).toBe(404);
        }
    });

    it("skips files that are not GGUF, and a corrupt header, saying why", async () => {
        const listed = (await (await fetch(`${server.url}/api/v0/models`)).json()).data.map((model: { id: string }) => model.id);
        expect(listed).not.toContain("garbage");
        expect(listed).not.toContain("notes");
        expect(server.catalog.unusable.map((problem) => path.basename(problem.path)).sort())
            .toEqual(["array-2-40.gguf", "counts-2-63.gguf", "garbage-F16.gguf", "notes.gguf", "string-past-end.gguf"]);
        expect(server.catalog.unusable.find((problem) => problem.path.endsWith("counts-2-63.gguf"))!.reason).toMatch(/claims 9223372036854775808 tensors/);
        expect(server.catalog.unusable[0]!.reason).toMatch(/not a readable GGUF file/);
    });

    it("answers a load of a truncated model with model_load_failed, and loads the good ones after", async () => {
        const error = await expectClientError(await postJson(`${server.url}/v1/chat/completions`, { ...chat, model: "truncated" }), 500);
        expect(error.code).toBe("model_load_failed");
        expect(error.message).toMatch(/truncated/);
        expect((await postJson(`${server.url}/v1/chat/completions`, { ...chat, max_tokens: 2 })).status).toBe(200);
    });

    it("says on /health?model= which model failed to load and why, which is loaded, and which is not", async () => {
        const health = async (model: string) => {
            const response = await fetch(`${server.url}/health?model=${encodeURIComponent(model)}`);
            return { status: response.status, body: await response.json() };
        };
        await postJson(`${server.url}/v1/chat/completions`, { ...chat, model: "truncated" });
        const failed = await health("truncated");
        expect(failed.status).toBe(503);
        expect(failed.body).toMatchObject({ status: "error", model: "truncated", message: expect.stringMatching(/truncated/) });
        expect(Date.parse(failed.body.failed_at)).toBeGreaterThan(Date.now() - 60_000);
        await postJson(`${server.url}/v1/chat/completions`, { ...chat, max_tokens: 1 });
        expect(await health("tiny-chat")).toEqual({ status: 200, body: { status: "ok", model: "tiny-chat" } });
        expect(await health("text-embedding-tiny-embed")).toEqual({ status: 503, body: { status: "unloaded", model: "text-embedding-tiny-embed" } });
        expect((await health("no-such-model")).status).toBe(404);
        expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: "ok" });
    });
});
