/**
 * `--responses-dir` on the real server: a stored response of `/v1/responses` and a conversation of `/api/v1/chat`
 * outlive a restart (retrieve, input items, previous_response_id), and deleting one removes its file.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { standardModelsFolder, temporaryFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

async function json(response: Response | Promise<Response>, status = 200): Promise<any> {
    const answer = await response;
    expect(answer.status, await answer.clone().text()).toBe(status);
    return answer.json();
}

describe("stored responses in --responses-dir", () => {
    it("outlive a restart: retrieve, input items and previous_response_id, for /v1/responses and /api/v1/chat", async () => {
        const folder = path.join(await temporaryFolder("lmhost-responses-dir-"), "stored");
        const modelsDir = await standardModelsFolder();
        const start = () => startTestServer({ modelsDir, parallel: 1, responsesDir: folder });
        let server: RunningServer = await start();
        let first: any;
        let chat: any;
        let next: any;
        try {
            first = await json(postJson(`${server.url}/v1/responses`, { model: "tiny-chat", input: "Hello there", max_output_tokens: 3, temperature: 0 }));
            chat = await json(postJson(`${server.url}/api/v1/chat`, { model: "tiny-chat", input: "Hello there", max_output_tokens: 2, temperature: 0 }));
        } finally {
            await server.close();
        }
        expect(existsSync(path.join(folder, `${first.id}.json`))).toBe(true);
        expect(existsSync(path.join(folder, "chats", `${chat.response_id}.json`))).toBe(true);

        server = await start();
        try {
            expect(await json(fetch(`${server.url}/v1/responses/${first.id}`))).toEqual(first);
            const items = await json(fetch(`${server.url}/v1/responses/${first.id}/input_items`));
            expect(items.data).toEqual([expect.objectContaining({ type: "message", role: "user", content: "Hello there" })]);
            next = await json(postJson(`${server.url}/v1/responses`, {
                model: "tiny-chat", input: "And then?", previous_response_id: first.id, max_output_tokens: 2, temperature: 0
            }));
            expect(next.previous_response_id).toBe(first.id);
            // The restored conversation is in the prompt: the first turn's input and output come before the new input.
            expect(next.usage.input_tokens).toBeGreaterThan(first.usage.input_tokens + first.usage.output_tokens);
            const nextChat = await json(postJson(`${server.url}/api/v1/chat`, {
                model: "tiny-chat", input: "And then?", previous_response_id: chat.response_id, max_output_tokens: 2, temperature: 0
            }));
            expect(nextChat.stats.input_tokens).toBeGreaterThan(chat.stats.input_tokens + chat.stats.total_output_tokens);
            // An id that is no id of the server's is only unknown.
            await json(fetch(`${server.url}/v1/responses/..%2F..%2Fchats%2F${chat.response_id}`), 404);
            await json(fetch(`${server.url}/v1/responses/${first.id}`, { method: "DELETE" }));
        } finally {
            await server.close();
        }
        expect(existsSync(path.join(folder, `${first.id}.json`))).toBe(false);
        expect(existsSync(path.join(folder, `${next.id}.json`))).toBe(true);
    });
});
