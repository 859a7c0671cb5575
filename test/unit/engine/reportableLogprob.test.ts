import { describe, expect, it } from "vitest";
import { reportableLogprob } from "../../../src/engine/worker/reportableLogprob.js";

describe("reportableLogprob", () => {
    it("is the natural log of a probability", () => {
        expect(reportableLogprob(1)).toBe(0);
        expect(reportableLogprob(0.5)).toBeCloseTo(-0.6931, 4);
    });

    it("reports impossible and undefined probabilities as -9999, which JSON can carry", () => {
        for (const probability of [0, Number.MIN_VALUE / 2, Number.NaN, -1]) {
            const logprob = reportableLogprob(probability);
            expect(logprob).toBe(-9999);
            expect(JSON.parse(JSON.stringify(logprob))).toBe(-9999);
        }
        expect(reportableLogprob(Number.MIN_VALUE)).toBeCloseTo(-744.44, 1);
    });
});
