import { describe, expect, it } from "vitest";
import { ToolCallParser, type ToolCallEvent } from "../../../src/services/output/toolCallParser.js";

/** Feeds the text in pieces of `size` characters and gathers what comes out. */
function parse(text: string, size = text.length) {
    const parser = new ToolCallParser();
    const events: ToolCallEvent[] = [];
    for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
    events.push(...parser.finish());
    const content = events.filter((event) => event.type === "content").map((event) => event.text).join("");
    const argumentsByCall = new Map<number, string>();
    for (const event of events) {
        if (event.type === "toolCallArguments") argumentsByCall.set(event.index, (argumentsByCall.get(event.index) ?? "") + event.text);
    }
    const starts = events.filter((event) => event.type === "toolCallStart");
    return { events, content, calls: parser.calls, streamedArguments: [...argumentsByCall.values()], starts };
}

const oneCall = 'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2], "note": "a \\"quoted\\" }"}}\n</tool_call>';

describe("ToolCallParser", () => {
    it("separates content from a call and parses the call", () => {
        const { content, calls } = parse(oneCall);
        expect(content).toBe("Let me check.\n");
        expect(calls).toHaveLength(1);
        expect(calls[0]!.name).toBe("get_weather");
        expect(JSON.parse(calls[0]!.arguments)).toEqual({ city: "Paris", days: [1, 2], note: 'a "quoted" }' });
        expect(calls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
    });

    it("gives the same result however the text is split, and streams exactly the final arguments", () => {
        const whole = parse(oneCall);
        for (const size of [1, 2, 3, 5, 7, 11]) {
            const pieces = parse(oneCall, size);
            expect(pieces.content, `size ${size}`).toBe(whole.content);
            expect(pieces.calls.map(({ name, arguments: args }) => ({ name, args }))).toEqual(whole.calls.map(({ name, arguments: args }) => ({ name, args })));
            expect(pieces.streamedArguments).toEqual([pieces.calls[0]!.arguments]);
            expect(pieces.starts).toEqual([{ type: "toolCallStart", index: 0, id: pieces.calls[0]!.id, name: "get_weather" }]);
        }
    });

    it("announces a call before its arguments, and streams the arguments in several pieces", () => {
        const { events } = parse(oneCall, 4);
        const firstStart = events.findIndex((event) => event.type === "toolCallStart");
        const firstArguments = events.findIndex((event) => event.type === "toolCallArguments");
        expect(firstStart).toBeLessThan(firstArguments);
        expect(events.filter((event) => event.type === "toolCallArguments").length).toBeGreaterThan(5);
    });

    it("numbers several calls in order, with distinct ids", () => {
        const text = '<tool_call>{"name": "a", "arguments": {}}</tool_call>\n<tool_call>{"name": "b", "arguments": {"x": 1}}</tool_call>';
        const { calls, content } = parse(text, 3);
        expect(calls.map((call) => call.name)).toEqual(["a", "b"]);
        expect(new Set(calls.map((call) => call.id)).size).toBe(2);
        expect(content).toBe("\n");
    });

    it("keeps text that only looks like a call as content", () => {
        expect(parse("I will use <tool_call> tags like <tool_call>this</tool_call>.", 2)).toMatchObject({
            content: "I will use <tool_call> tags like <tool_call>this</tool_call>.", calls: []
        });
    });

    it("holds back a possible start of a call, then releases it as content", () => {
        expect(parse("a <tool_c", 1).content).toBe("a <tool_c");
    });

    it("accepts arguments written before the name, and arguments given as a JSON string", () => {
        const before = parse('<tool_call>{"arguments": {"q": 1}, "name": "search"}</tool_call>', 2);
        expect(before.calls[0]).toMatchObject({ name: "search" });
        expect(JSON.parse(before.calls[0]!.arguments)).toEqual({ q: 1 });
        expect(before.streamedArguments).toEqual([before.calls[0]!.arguments]);
        const asString = parse('<tool_call>{"name": "search", "arguments": "{\\"q\\": 2}"}</tool_call>', 3);
        expect(asString.calls[0]!.arguments).toBe('{"q": 2}');
        expect(asString.streamedArguments).toEqual(['{"q": 2}']);
    });

    it("accepts a last call without its closing tag when the text ends", () => {
        expect(parse('<tool_call>\n{"name": "f", "arguments": {"a": true}}\n').calls).toMatchObject([{ name: "f" }]);
    });

    it("treats a call without a name as content", () => {
        expect(parse('<tool_call>{"arguments": {}}</tool_call>')).toMatchObject({ calls: [], content: '<tool_call>{"arguments": {}}</tool_call>' });
    });
});
