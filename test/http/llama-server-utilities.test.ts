/** llama-server's utility routes on the real engine: /tokenize, /detokenize, /apply-template. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
const post = async (path: string, body: unknown) => {
    const response = await postJson(`${server.url}${path}`, body);
    return { status: response.status, body: await response.json() };
};

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
});
afterAll(() => server.close());

describe("llama-server's utility routes", () => {
    it("tokenizes with the model's tokenizer, special tokens read as such, and detokenizes back", async () => {
        const text = "<|im_start|>user\nThe weather today";
        const plain = await post("/tokenize", { model: "tiny-chat", content: text });
        expect(plain.status).toBe(200);
        expect(plain.body.tokens.every((token: unknown) => Number.isInteger(token))).toBe(true);
        const pieces = await post("/tokenize", { model: "tiny-chat", content: text, with_pieces: true });
        expect(pieces.body.tokens.map((token: { id: number }) => token.id)).toEqual(plain.body.tokens);
        expect(pieces.body.tokens[0].piece).toBe("<|im_start|>");
        expect(pieces.body.tokens.map((token: { piece: string }) => token.piece).join("")).toBe(text);
        expect((await post("/detokenize", { model: "tiny-chat", tokens: plain.body.tokens })).body).toEqual({ content: text });
    });

    it("refuses a token id beyond the vocabulary instead of letting llama.cpp abort the engine", async () => {
        const pid = server.lifecycle.instanceNamed("tiny-chat")?.engine.pid;
        const refused = await post("/detokenize", { model: "tiny-chat", tokens: [5, 999_999] });
        expect(refused.status).toBe(400);
        expect(refused.body.error).toMatchObject({ code: "invalid_token", param: "tokens", message: expect.stringMatching(/999999 is not a token/) });
        expect(server.lifecycle.instanceNamed("tiny-chat")?.engine.pid).toBe(pid);
        expect((await post("/detokenize", { model: "tiny-chat", tokens: [5] })).status).toBe(200);
    });

    it("renders the prompt a chat completion evaluates", async () => {
        const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello" }];
        const { body } = await post("/apply-template", { model: "tiny-chat", messages });
        expect(body.prompt).toContain("<|im_start|>system\nBe brief.<|im_end|>");
        expect(body.prompt.endsWith("<|im_start|>assistant\n")).toBe(true);
        const tokens = (await post("/tokenize", { model: "tiny-chat", content: body.prompt, add_special: true })).body.tokens;
        const chat = await postJson(`${server.url}/v1/chat/completions`, { model: "tiny-chat", messages, max_tokens: 1 });
        expect((await chat.json()).usage.prompt_tokens).toBe(tokens.length);
    });

    it("answers unknown models and embedding models with the usual errors", async () => {
        expect((await post("/tokenize", { model: "no-such-model", content: "x" })).status).toBe(404);
        expect((await post("/tokenize", { model: "text-embedding-tiny-embed", content: "x" })).status).toBe(400);
        expect((await post("/apply-template", { model: "tiny-chat", messages: [] })).status).toBe(400);
    });
});
