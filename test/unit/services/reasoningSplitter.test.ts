import { describe, expect, it } from "vitest";
import { ReasoningSplitter, type ReasoningEvent } from "../../../src/services/output/reasoningSplitter.js";
import { AssistantOutputParser } from "../../../src/services/output/AssistantOutputParser.js";

function split(text: string, startsInside: boolean, size = 1) {
    const splitter = new ReasoningSplitter(startsInside);
    const events: ReasoningEvent[] = [];
    for (let i = 0; i < text.length; i += size) events.push(...splitter.push(text.slice(i, i + size)));
    events.push(...splitter.finish());
    const join = (type: string) => events.filter((event) => event.type === type).map((event) => event.text).join("");
    return { reasoning: join("reasoning"), content: join("content") };
}

describe("ReasoningSplitter", () => {
    it("splits a leading think block from the answer", () => {
        for (const size of [1, 3, 100]) {
            expect(split("<think>\nLet me see.\n</think>\n\nParis.", false, size)).toEqual({ reasoning: "\nLet me see.\n", content: "Paris." });
        }
    });

    it("starts inside the block when the prompt opened it", () => {
        expect(split("hmm, France\n</think>\nParis.", true)).toEqual({ reasoning: "hmm, France\n", content: "Paris." });
    });

    it("keeps everything as reasoning while the block is open", () => {
        expect(split("still thinking </thi", true)).toEqual({ reasoning: "still thinking </thi", content: "" });
    });

    it("leaves output without a think block as content", () => {
        expect(split("  Paris is <think> not here", false)).toEqual({ reasoning: "", content: "  Paris is <think> not here" });
    });
});

describe("AssistantOutputParser", () => {
    it("looks for tool calls only in the answer, after the reasoning", () => {
        const parser = new AssistantOutputParser({ reasoning: { startsInside: false }, toolCalls: true });
        const text = '<think>maybe <tool_call>{"name": "x", "arguments": {}}</tool_call></think>Calling.<tool_call>{"name": "y", "arguments": {}}</tool_call>';
        const events = [...parser.push(text), ...parser.finish()];
        expect(parser.toolCalls.map((call) => call.name)).toEqual(["y"]);
        expect(events.filter((event) => event.type === "reasoning").map((event) => "text" in event && event.text).join("")).toContain('"name": "x"');
        expect(events.filter((event) => event.type === "content").map((event) => "text" in event && event.text).join("")).toBe("Calling.");
    });
});
