import { describe, expect, it } from "vitest";
import { finishReasonOf, normalizeL2 } from "../../../src/services/InferenceService.js";
import { toChatTurns, toGenerationRequest } from "../../../src/http/routes/generationRequest.js";

describe("finishReasonOf", () => {
    it("maps LM Studio's stop reasons to OpenAI's finish reasons", () => {
        expect(finishReasonOf("eosFound")).toBe("stop");
        expect(finishReasonOf("stopStringFound")).toBe("stop");
        expect(finishReasonOf("maxPredictedTokensReached")).toBe("length");
        expect(finishReasonOf("contextLengthReached")).toBe("length");
        expect(finishReasonOf("userStopped")).toBe("stop");
    });
});

describe("normalizeL2", () => {
    it("scales a vector to unit length", () => {
        expect(normalizeL2([3, 4])).toEqual([0.6, 0.8]);
    });

    it("leaves a zero vector at zero instead of dividing by zero", () => {
        expect(normalizeL2(new Float32Array([0, 0]))).toEqual([0, 0]);
    });
});

describe("toGenerationRequest", () => {
    const signal = new AbortController().signal;

    it("treats -1, null and absence of max_tokens as no limit", () => {
        for (const max_tokens of [-1, null, undefined]) {
            expect(toGenerationRequest({ model: "m", max_tokens }, 0, signal).maxTokens).toBeNull();
        }
        expect(toGenerationRequest({ model: "m", max_tokens: 7 }, 0, signal).maxTokens).toBe(7);
    });

    it("accepts stop as a string or a list", () => {
        expect(toGenerationRequest({ model: "m", stop: "\n" }, 0, signal).stop).toEqual(["\n"]);
        expect(toGenerationRequest({ model: "m", stop: ["a", "b"] }, 0, signal).stop).toEqual(["a", "b"]);
    });

    it("maps any integer seed onto the sampler's 32-bit seed", () => {
        expect(toGenerationRequest({ model: "m", seed: 42 }, 0, signal).sampling.seed).toBe(42);
        expect(toGenerationRequest({ model: "m", seed: -1 }, 0, signal).sampling.seed).toBe(2 ** 32 - 1);
        expect(toGenerationRequest({ model: "m", seed: 2 ** 40 + 5 }, 0, signal).sampling.seed).toBe(5);
        expect(toGenerationRequest({ model: "m" }, 0, signal).sampling.seed).toBeUndefined();
    });
});

describe("toChatTurns", () => {
    it("joins text parts, treats null content as empty and developer as system", () => {
        expect(toChatTurns([
            { role: "developer", content: "rules" },
            { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
            { role: "assistant", content: null }
        ])).toEqual([
            { role: "system", content: "rules" },
            { role: "user", content: "a\nb" },
            { role: "assistant", content: "" }
        ]);
    });
});
