/**
 * Speculative decoding on the real engine: a draft model's or the prompt's proposals, verified by the model in
 * batches, never change its greedy output; the stats and metrics count them; loads and requests name drafts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { familyModelsFolder } from "../support/familyFixtures.js";
import { ensureFixtures, placeModel, temporaryFolder } from "../support/fixtures.js";
import { metricValue, readMetrics } from "../support/metrics.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;
let scripted: { target: string; answer: string };

beforeAll(async () => {
    const fixtures = await ensureFixtures();
    const folder = await temporaryFolder();
    await placeModel(folder, "lmhost-test/tiny-chat-GGUF/tiny-chat.gguf", fixtures.chat);
    // The same weights under another id: a draft that agrees with the model wherever it is sure enough.
    await placeModel(folder, "lmhost-test/tiny-draft-GGUF/tiny-draft.gguf", fixtures.chat);
    // Same vocabulary, always proposes the end of the text: every proposal is rejected.
    await placeModel(folder, "lmhost-test/tiny-stopper-GGUF/tiny-stopper.gguf", fixtures.chatThatStops);
    await placeModel(folder, "lmhost-test/tiny-embed-GGUF/tiny-embed.gguf", fixtures.embedding);
    const families = await familyModelsFolder(["qwen2.5"]);
    const answer = families.models.find((model) => model.case === "answer")!;
    await placeModel(folder, `lmhost-families/${answer.id}/${answer.id}.gguf`, answer.file);
    await placeModel(folder, "lmhost-families/qwen-draft/qwen-draft.gguf", answer.file);
    scripted = { target: answer.id, answer: "It is sunny in Paris." };
    server = await startTestServer({ modelsDir: folder, maxJitModels: 4 });
});
afterAll(() => server.close());
afterEach(async () => {
    await postJson(`${server.url}/api/v1/models/unload-all`, {});
});

const load = async (body: Record<string, unknown>) => {
    const response = await postJson(`${server.url}/api/v1/models/load`, body);
    expect(response.status, await response.clone().text()).toBe(200);
};
/** Greedy, with a strong repeat penalty: the penalized history of a proposed token includes the proposals before it. */
const greedy = { prompt: "The quick brown fox jumps over the lazy dog. The quick brown fox", max_tokens: 80, temperature: 0, repeat_penalty: 1.3 };
const complete = async (model: string, extra: Record<string, unknown> = {}) => {
    const response = await postJson(`${server.url}/api/v0/completions`, { ...greedy, model, ...extra });
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json();
};

describe("speculative decoding", () => {
    it("never changes greedy output: a draft that agrees, one that never does, and prompt lookup", async () => {
        await load({ model: "tiny-chat", identifier: "plain" });
        await load({ model: "tiny-chat", identifier: "agreeing", draft_model: "tiny-draft", draft_min_confidence: 0 });
        await load({ model: "tiny-chat", identifier: "rejected", draft_model: "tiny-stopper", draft_max_tokens: 4 });
        await load({ model: "tiny-chat", identifier: "lookup", prompt_lookup: true });
        const plain = await complete("plain");
        expect(plain.stats.total_draft_tokens_count).toBeUndefined();
        expect(plain.usage.completion_tokens).toBe(80);
        const agreeing = await complete("agreeing");
        expect(agreeing.choices[0].text).toBe(plain.choices[0].text);
        expect(agreeing.stats).toMatchObject({ draft_model: "tiny-draft" });
        const { total_draft_tokens_count: total, accepted_draft_tokens_count: accepted, rejected_draft_tokens_count: rejected, ignored_draft_tokens_count: ignored } = agreeing.stats;
        // One forward pass of the model checked several of its tokens at once.
        expect(accepted).toBeGreaterThan(40);
        expect(total).toBe(accepted + rejected + ignored);
        const rejecting = await complete("rejected");
        expect(rejecting.choices[0].text).toBe(plain.choices[0].text);
        expect(rejecting.stats.rejected_draft_tokens_count).toBeGreaterThan(0);
        expect(rejecting.stats.accepted_draft_tokens_count).toBe(0);
        const lookup = await complete("lookup");
        expect(lookup.choices[0].text).toBe(plain.choices[0].text);
        expect(lookup.stats.draft_model).toBeUndefined();
        expect(lookup.stats.total_draft_tokens_count).toBeGreaterThanOrEqual(0);
        // The /v1 usage carries OpenAI's prediction counts; log-probabilities are the model's, drafted or not.
        const logprobsOf = async (model: string) => {
            const response = await postJson(`${server.url}/v1/chat/completions`, {
                model, messages: [{ role: "user", content: greedy.prompt }], max_tokens: 30, temperature: 0, logprobs: true
            });
            return response.json();
        };
        const [plainChat, draftedChat] = [await logprobsOf("plain"), await logprobsOf("agreeing")];
        expect(draftedChat.choices[0].message.content).toBe(plainChat.choices[0].message.content);
        expect(draftedChat.choices[0].logprobs.content.map((entry: { token: string }) => entry.token))
            .toEqual(plainChat.choices[0].logprobs.content.map((entry: { token: string }) => entry.token));
        expect(draftedChat.usage.completion_tokens_details.accepted_prediction_tokens).toBeGreaterThan(0);
        expect(plainChat.usage.completion_tokens_details).toBeUndefined();
        const metrics = await readMetrics(server.url);
        expect(metricValue(metrics, "lmhost_draft_tokens_total", 'model="tiny-chat",outcome="accepted"')).toBeGreaterThan(40);
        expect(metricValue(metrics, "lmhost_draft_tokens_total", 'model="tiny-chat",outcome="rejected"')).toBeGreaterThan(0);
    });

    it("keeps a real family's scripted answer under its template, with the default draft settings", async () => {
        await load({ model: scripted.target, draft_model: "qwen-draft" });
        const response = await postJson(`${server.url}/v1/chat/completions`, { model: scripted.target, messages: [{ role: "user", content: "Weather?" }], temperature: 0 });
        const body = await response.json();
        expect(body.choices[0].message.content).toBe(scripted.answer);
        expect(body.usage.completion_tokens_details.accepted_prediction_tokens).toBeGreaterThan(3);
    });

    it("does not speculate under a grammar, whose state a proposal's later positions would not see", async () => {
        await load({ model: "tiny-chat", identifier: "agreeing", draft_model: "tiny-draft", draft_min_confidence: 0 });
        const response = await postJson(`${server.url}/api/v0/chat/completions`, {
            model: "agreeing", messages: [{ role: "user", content: "JSON please" }], max_tokens: 40, temperature: 0,
            response_format: { type: "json_schema", json_schema: { schema: { type: "object", properties: { a: { type: "integer" } }, required: ["a"] } } }
        });
        const body = await response.json();
        expect(body.stats.total_draft_tokens_count).toBeUndefined();
        expect(JSON.parse(body.choices[0].message.content)).toHaveProperty("a");
    });

    it("a request's draft_model loads with the model it loads, and must match a loaded model's", async () => {
        const first = await complete("tiny-chat", { draft_model: "tiny-draft", max_tokens: 8 });
        expect(first.stats.draft_model).toBe("tiny-draft");
        const listed = (await (await fetch(`${server.url}/api/v1/models`)).json()).models.find((model: { key: string }) => model.key === "tiny-chat");
        expect(listed.loaded_instances[0].config).toMatchObject({ draft_model: "tiny-draft", prompt_lookup: false });
        // Without draft_model, the instance still drafts with its own.
        expect((await complete("tiny-chat", { max_tokens: 8 })).stats.draft_model).toBe("tiny-draft");
        const other = await postJson(`${server.url}/v1/completions`, { ...greedy, model: "tiny-chat", draft_model: "tiny-stopper" });
        expect(other.status).toBe(400);
        expect((await other.json()).error).toMatchObject({ code: "draft_model_not_loaded", param: "draft_model" });
        const unknown = await postJson(`${server.url}/v1/completions`, { ...greedy, model: "tiny-chat", draft_model: "no-such-draft" });
        expect(unknown.status).toBe(404);
    });

    it("refuses drafts that cannot draft, with the reason", async () => {
        const refused = async (body: Record<string, unknown>, status: number, message: RegExp) => {
            const response = await postJson(`${server.url}/api/v1/models/load`, body);
            expect(response.status).toBe(status);
            expect((await response.json()).error.message).toMatch(message);
        };
        await refused({ model: "tiny-chat", draft_model: "text-embedding-tiny-embed" }, 400, /embedding model/);
        await refused({ model: "tiny-chat", draft_model: "tiny-draft", prompt_lookup: true }, 400, /not both/);
        await refused({ model: "tiny-chat", draft_min_confidence: 0.5 }, 400, /set draft_model too/);
        await refused({ model: "tiny-chat", draft_model: "qwen-draft" }, 500, /cannot draft for this model/);
        // The server goes on serving.
        expect((await complete("tiny-chat", { max_tokens: 4 })).usage.completion_tokens).toBe(4);
    });
});
