/**
 * Every failure answers with OpenAI's error envelope and the right status, never a stack trace, and the
 * server keeps serving afterwards.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { writeHeaderOnlyModel } from "../support/gguf/headerOnlyModel.js";
import { postJson, startTestServer } from "../support/testServer.js";
import path from "node:path";
import { mkdir } from "node:fs/promises";
import { connect } from "node:net";

let server: RunningServer;
const chatMessages = [{ role: "user", content: "Hello" }];

async function expectError(response: Response, status: number, expected: { code?: string | null; param?: string | null; type?: string; message?: RegExp }) {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = await response.json();
    expect(Object.keys(body)).toEqual(["error"]);
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(body.error.message).not.toMatch(/\n\s+at /);
    if (expected.code !== undefined) expect(body.error.code).toBe(expected.code);
    if (expected.param !== undefined) expect(body.error.param).toBe(expected.param);
    if (expected.type !== undefined) expect(body.error.type).toBe(expected.type);
    if (expected.message !== undefined) expect(body.error.message).toMatch(expected.message);
    return body.error;
}

beforeAll(async () => {
    const modelsDir = await standardModelsFolder();
    // A header without tensors: listed by the catalog, but llama.cpp cannot load it.
    await mkdir(path.join(modelsDir, "broken/Hollow-GGUF"), { recursive: true });
    await writeHeaderOnlyModel(path.join(modelsDir, "broken/Hollow-GGUF/hollow-F16.gguf"), { fileType: 1, contextLength: 512 });
    // A context big enough that an unbounded generation runs for a while (used by the engine failure test).
    server = await startTestServer({ modelsDir, contextLength: 4096 });
});
afterAll(() => server.close());
afterEach(async () => {
    const response = await fetch(`${server.url}/api/v0/models`);
    expect(response.status, "the server still serves").toBe(200);
});

const chatUrl = () => `${server.url}/api/v0/chat/completions`;

describe("malformed requests", () => {
    it("malformed JSON -> 400 invalid_json", async () => {
        await expectError(await postJson(chatUrl(), '{"model": "tiny-chat", "messages": ['), 400, { code: "invalid_json", type: "invalid_request_error" });
    });

    it("an empty JSON body -> 400", async () => {
        await expectError(await postJson(chatUrl(), ""), 400, { type: "invalid_request_error" });
    });

    it("a body that is not an object -> 400", async () => {
        await expectError(await postJson(chatUrl(), "[1,2]"), 400, { message: /must be object/ });
    });

    it("a wrong content type -> 415", async () => {
        const response = await fetch(chatUrl(), { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" });
        await expectError(response, 415, { code: "unsupported_media_type" });
    });

    it("a body over the size limit -> 413", async () => {
        const huge = JSON.stringify({ model: "tiny-chat", prompt: "x".repeat(33 * 1024 * 1024) });
        await expectError(await postJson(`${server.url}/api/v0/completions`, huge), 413, { code: "request_too_large" });
    });

    it.each([
        [{ messages: chatMessages }, "model", /Missing required parameter: 'model'/],
        [{ model: "tiny-chat" }, "messages", /Missing required parameter: 'messages'/],
        [{ model: "tiny-chat", messages: [] }, "messages", /messages/],
        [{ model: "tiny-chat", messages: "hello" }, "messages", /must be array/],
        [{ model: "tiny-chat", messages: [{ role: "wizard", content: "hi" }] }, "messages[0].role", /one of: system, developer, user, assistant, tool/],
        [{ model: "tiny-chat", messages: chatMessages, temperature: 3 }, "temperature", /<= 2/],
        [{ model: "tiny-chat", messages: chatMessages, temperature: "hot" }, "temperature", /must be number/],
        [{ model: "tiny-chat", messages: chatMessages, top_p: 1.5 }, "top_p", /<= 1/],
        [{ model: "tiny-chat", messages: chatMessages, max_tokens: -5 }, "max_tokens", /max_tokens/],
        [{ model: "tiny-chat", messages: chatMessages, max_tokens: 1.5 }, "max_tokens", /integer/],
        [{ model: "tiny-chat", messages: chatMessages, stop: 5 }, "stop", /string/],
        [{ model: "tiny-chat", messages: chatMessages, seed: "x" }, "seed", /integer/],
        [{ model: "tiny-chat", messages: chatMessages, n: 2 }, "n", /<= 1/]
    ])("schema violation %j -> 400 naming %s", async (body, param, message) => {
        await expectError(await postJson(chatUrl(), body), 400, { param, message, code: "invalid_request" });
    });

    it("an image content part -> 400 naming the part", async () => {
        const messages = [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:," } }] }];
        await expectError(await postJson(chatUrl(), { model: "tiny-chat", messages }), 400, { param: "messages[0].content[0].type" });
    });

    it("empty embedding input -> 400", async () => {
        for (const input of ["", [], [""]]) {
            await expectError(await postJson(`${server.url}/api/v0/embeddings`, { model: "text-embedding-tiny-embed", input }), 400, { param: "input" });
        }
    });
});

describe("model errors", () => {
    it("an unknown model -> 404 model_not_found listing the available ids", async () => {
        const error = await expectError(await postJson(chatUrl(), { model: "gpt-9", messages: chatMessages }), 404,
            { code: "model_not_found", param: "model" });
        expect(error.message).toContain("tiny-chat");
        expect(error.message).toContain("text-embedding-tiny-embed");
    });

    it("model ids that look like paths never reach the file system", async () => {
        for (const model of ["../../etc/passwd", "/etc/passwd", "lmhost-test/../../../etc/passwd", "tiny-chat\u0000.gguf", "%2e%2e%2fetc"]) {
            await expectError(await postJson(chatUrl(), { model, messages: chatMessages }), 404, { code: "model_not_found" });
        }
        const response = await fetch(`${server.url}/api/v0/models/..%2F..%2F..%2Fetc%2Fpasswd`);
        await expectError(response, 404, { code: "model_not_found" });
    });

    it("chat with an embedding model -> 400", async () => {
        await expectError(await postJson(chatUrl(), { model: "text-embedding-tiny-embed", messages: chatMessages }), 400,
            { code: "model_not_supported", param: "model" });
    });

    it("embeddings from an LLM -> 400", async () => {
        await expectError(await postJson(`${server.url}/api/v0/embeddings`, { model: "tiny-chat", input: "hi" }), 400,
            { code: "model_not_supported", param: "model" });
    });

    it("a model llama.cpp cannot load -> 500 model_load_failed with the reason", async () => {
        const error = await expectError(await postJson(chatUrl(), { model: "hollow", messages: chatMessages }), 500,
            { code: "model_load_failed", type: "server_error" });
        expect(error.message).toMatch(/hollow/);
        // llama.cpp's own reason, from its log.
        expect(error.message).toMatch(/key not found in model: llama.embedding_length/);
    });
});

describe("context length", () => {
    const longText = "hello world ".repeat(3000);

    it("a chat prompt longer than the context -> 400 context_length_exceeded on messages", async () => {
        await expectError(await postJson(chatUrl(), { model: "tiny-chat", messages: [{ role: "user", content: longText }] }), 400,
            { code: "context_length_exceeded", param: "messages", message: /holds 4096 tokens/ });
    });

    it("a completion prompt longer than the context -> 400 on prompt, even when streaming", async () => {
        for (const stream of [false, true]) {
            await expectError(await postJson(`${server.url}/api/v0/completions`, { model: "tiny-chat", prompt: longText, stream }), 400,
                { code: "context_length_exceeded", param: "prompt" });
        }
    });
});

describe("routes", () => {
    it("an unknown route -> 404", async () => {
        await expectError(await fetch(`${server.url}/api/v0/nope`), 404, { code: "route_not_found" });
        await expectError(await postJson(`${server.url}/v2/chat`, {}), 404, { code: "route_not_found" });
    });

    it("a known route with the wrong method -> 404", async () => {
        await expectError(await fetch(chatUrl()), 404, { code: "route_not_found" });
    });
});

describe("engine failure", () => {
    it("an engine process that dies mid-generation -> 500 engine_failure (or an error event when streaming), then the model reloads", async () => {
        const body = { model: "tiny-chat", messages: chatMessages, max_tokens: 100_000, temperature: 0 };
        const whole = postJson(chatUrl(), body);
        const streamed = await postJson(chatUrl(), { ...body, stream: true });
        const reader = streamed.body!.getReader();
        await reader.read();
        // Both generations are running now: the streamed one has sent a token, the other started before it.
        const engine = server.lifecycle.instances().find((instance) => instance.id === "tiny-chat")!.engine;
        process.kill(engine.pid!, "SIGKILL");
        const error = await expectError(await whole, 500, { code: "engine_failure", type: "server_error" });
        expect(error.message).toMatch(/SIGKILL/);
        let rest = "";
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
        const lastEvent = JSON.parse(rest.trim().split("\n\n").at(-1)!.replace(/^data: /, ""));
        expect(lastEvent.error).toMatchObject({ code: "engine_failure", type: "server_error" });
        const next = await postJson(chatUrl(), { model: "tiny-chat", messages: chatMessages, max_tokens: 3 });
        expect(next.status).toBe(200);
    });
});

describe("a server shutting down", () => {
    it("answers a request that still reaches it on a kept-alive connection with an OpenAI-shaped 503 shutting_down", async () => {
        const closing = await startTestServer({ modelsDir: await standardModelsFolder() });
        await postJson(`${closing.url}/api/v0/completions`, { model: "tiny-chat", prompt: "Once", max_tokens: 1 });
        // One connection: a stream that keeps it (and the shutdown) busy, then a second request sent mid-shutdown.
        const { port } = new URL(closing.url);
        const socket = connect(Number(port), "127.0.0.1");
        let received = "";
        socket.on("data", (data) => { received += data; });
        const streamBody = JSON.stringify({ model: "tiny-chat", prompt: "Once", max_tokens: -1, stream: true });
        socket.write(`POST /api/v0/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${streamBody.length}\r\n\r\n${streamBody}`);
        while (!received.includes("data:")) await new Promise((resolve) => setTimeout(resolve, 10));
        const closed = closing.close(5);
        await new Promise((resolve) => setTimeout(resolve, 50));
        socket.write("GET /api/v0/models HTTP/1.1\r\nHost: x\r\n\r\n");
        await new Promise((resolve) => socket.once("close", resolve));
        await closed;
        const late = received.slice(received.lastIndexOf("HTTP/1.1 "));
        expect(late).toMatch(/^HTTP\/1\.1 503 /);
        expect(JSON.parse(late.slice(late.indexOf("\r\n\r\n") + 4))).toEqual({
            error: { message: expect.stringMatching(/shutting down/), type: "server_error", param: null, code: "shutting_down" }
        });
    });
});
