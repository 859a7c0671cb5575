import { describe, expect, it } from "vitest";
import { StopStringDetector } from "../../../src/engine/StopStringDetector.js";

function run(stops: string[], pieces: string[]) {
    const detector = new StopStringDetector(stops);
    const emitted = pieces.map((piece) => detector.push(piece));
    return { emitted, rest: detector.flush(), stopped: detector.stopped };
}

describe("StopStringDetector", () => {
    it("passes text through when there are no stop strings", () => {
        expect(run([], ["Hello", " world"])).toEqual({ emitted: ["Hello", " world"], rest: "", stopped: false });
    });

    it("cuts the output before a stop string inside one piece", () => {
        expect(run(["STOP"], ["abc STOP def"])).toEqual({ emitted: ["abc "], rest: "", stopped: true });
    });

    it("holds back a possible start of a stop string until the next piece decides", () => {
        const { emitted, stopped } = run(["\n\n"], ["one\n", "\ntwo"]);
        expect(emitted).toEqual(["one", ""]);
        expect(stopped).toBe(true);
    });

    it("releases held-back text when it turns out not to be a stop string", () => {
        const { emitted, rest } = run(["<end>"], ["a<e", "nx", "t"]);
        expect(emitted.join("") + rest).toBe("a<enxt");
        expect(emitted[0]).toBe("a");
    });

    it("flushes a partial stop string at the end of generation", () => {
        expect(run(["###"], ["text #"])).toEqual({ emitted: ["text "], rest: "#", stopped: false });
    });

    it("stops at the earliest of several stop strings", () => {
        expect(run(["b", "a"], ["xxab"]).emitted).toEqual(["xx"]);
    });

    it("ignores empty stop strings and emits nothing after stopping", () => {
        const detector = new StopStringDetector(["", "z"]);
        expect(detector.push("az")).toBe("a");
        expect(detector.push("more")).toBe("");
        expect(detector.flush()).toBe("");
    });
});
