import { describe, expect, it } from "vitest";
import { fieldSequence, prefixRules } from "../../../src/engine/worker/grammars.js";
import { insideReasoning } from "../../../src/engine/worker/LazyGrammar.js";

describe("call grammars", () => {
    it("renames a grammar's rules, but not text inside literals or character classes", () => {
        expect(prefixRules('root ::= "{" value "value" [a-z] value\nvalue ::= "x"', "t0-"))
            .toBe('t0-root ::= "{" t0-value "value" [a-z] t0-value\nt0-value ::= "x"');
    });

    it("joins required fields, then optional ones each with its separator", () => {
        expect(fieldSequence(["a", "b", "c"], [false, true, false], '", " ')).toBe('a ", " c ( ", " b )?');
    });

    it("lets the first optional field written go without a separator when none is required", () => {
        expect(fieldSequence(["a", "b"], [true, true], '", " ')).toBe('( a ( ", " b )? | b )?');
        expect(fieldSequence(["a", "b"], [true, true], "")).toBe("( a )? ( b )?");
        expect(fieldSequence([], [], "")).toBe('""');
    });
});

describe("lazy call grammars", () => {
    const think = { open: "<think>", close: "</think>", startsInside: false };
    it("start only outside reasoning", () => {
        const text = "<think>maybe <tool_call> later</think><tool_call>";
        expect(insideReasoning(text, text.indexOf("<tool_call>"), think)).toBe(true);
        expect(insideReasoning(text, text.lastIndexOf("<tool_call>"), think)).toBe(false);
        expect(insideReasoning("a <tool_call>", 2, think)).toBe(false);
        expect(insideReasoning("a <tool_call>", 2, { ...think, startsInside: true })).toBe(true);
        expect(insideReasoning("a</think><tool_call>", 9, { ...think, startsInside: true })).toBe(false);
        expect(insideReasoning("a <tool_call>", 2, null)).toBe(false);
    });
});
