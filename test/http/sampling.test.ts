/** Each sampling parameter reaches the engine: setting it changes what is generated the way it should. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { defaultSampling } from "../../src/services/InferenceService.js";
import { standardModelsFolder } from "../support/fixtures.js";
import { postJson, startTestServer } from "../support/testServer.js";

let server: RunningServer;

async function text(body: Record<string, unknown>): Promise<string> {
    const response = await postJson(`${server.url}/api/v0/completions`, { model: "tiny-chat", prompt: "The weather today is", max_tokens: 30, ...body });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()).choices[0].text;
}

beforeAll(async () => {
    server = await startTestServer({ modelsDir: await standardModelsFolder() });
});
afterAll(() => server.close());

describe("sampling parameters", () => {
    it("uses LM Studio's defaults", () => {
        expect(defaultSampling).toEqual({
            temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.1, presencePenalty: 0, frequencyPenalty: 0
        });
    });

    it("top_k 1, a tiny top_p or min_p 1 leave only the most likely token: the greedy text", async () => {
        const greedy = await text({ temperature: 0 });
        const hot = { temperature: 1.5, seed: 11 };
        expect(await text(hot)).not.toBe(greedy);
        expect(await text({ ...hot, top_k: 1 })).toBe(greedy);
        expect(await text({ ...hot, top_p: 0.000001, min_p: 0 })).toBe(greedy);
        expect(await text({ ...hot, min_p: 1, top_p: 1 })).toBe(greedy);
    });

    it("repeat_penalty, presence_penalty and frequency_penalty each change greedy output", async () => {
        const plain = { temperature: 0, repeat_penalty: 1, max_tokens: 60 };
        const baseline = await text(plain);
        expect(await text({ ...plain, repeat_penalty: 1.8 })).not.toBe(baseline);
        expect(await text({ ...plain, presence_penalty: 2 })).not.toBe(baseline);
        expect(await text({ ...plain, frequency_penalty: 2 })).not.toBe(baseline);
    });

    it("temperature changes sampled output for the same seed", async () => {
        expect(await text({ temperature: 0.2, seed: 4 })).not.toBe(await text({ temperature: 1.8, seed: 4 }));
    });
});
