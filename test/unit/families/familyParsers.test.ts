/**
 * Each family's parser on what its models really write (the strings llama.cpp's tests use), whole and streamed
 * in pieces of every size from 1 to 7 characters: the streamed deltas must add up to the whole-text parse.
 */
import { describe, expect, it } from "vitest";
import { FamilyOutputParser, type OutputEvent } from "../../../src/families/FamilyOutputParser.js";
import type { ModelFamily } from "../../../src/families/ModelFamily.js";
import { families, resolveFamily } from "../../../src/families/resolveFamily.js";
import { genericFamily } from "../../../src/families/generic.js";

const byId = (id: string): ModelFamily => {
    const family = [...families, genericFamily].find((candidate) => candidate.id === id);
    if (!family) throw new Error(`no family ${id}`);
    return family;
};

type Expected = { reasoning?: string; content?: string; calls?: Array<{ name: string; arguments: unknown; id?: string }> };
type Case = { family: string; text: string; expected: Expected; startsInReasoning?: boolean; endToken?: string; readCalls?: boolean };

const tools = [
    { name: "special_function", parameters: { type: "object", properties: { arg1: { type: "integer" } } } },
    { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
];

function run(testCase: Case, pieceLength: number) {
    const parser = new FamilyOutputParser(byId(testCase.family), {
        startsInReasoning: testCase.startsInReasoning ?? false, readCalls: testCase.readCalls ?? true, tools
    });
    const events: OutputEvent[] = [];
    for (let i = 0; i < testCase.text.length; i += pieceLength) events.push(...parser.push(testCase.text.slice(i, i + pieceLength)));
    events.push(...parser.finish(testCase.endToken ?? null));
    const reasoning = events.filter((event) => event.type === "reasoning").map((event) => event.text).join("");
    const content = events.filter((event) => event.type === "content").map((event) => event.text).join("");
    const calls = parser.toolCalls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) as unknown, id: call.id }));
    const streamedArguments = parser.toolCalls.map((_, index) => events
        .filter((event): event is Extract<OutputEvent, { type: "toolCallArguments" }> => event.type === "toolCallArguments" && event.index === index)
        .map((event) => event.text).join(""));
    return { reasoning, content, calls, streamedArguments, toolCalls: parser.toolCalls };
}

const call = (name: string, args: unknown, id?: string) => ({ name, arguments: args, ...(id ? { id } : {}) });

const cases: Case[] = [
    { family: "hermes", text: "<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n</tool_call>", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "hermes", text: "Hello, world!\nWhat's up?<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}</tool_call>", expected: { content: "Hello, world!\nWhat's up?", calls: [call("special_function", { arg1: 1 })] } },
    { family: "hermes", text: "<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>", expected: { calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "hermes", text: "Use <tool_call> tags, like 1 < 2.", expected: { content: "Use <tool_call> tags, like 1 < 2." } },
    { family: "hermes", text: "Plain answer.", expected: { content: "Plain answer." } },
    { family: "qwen3", text: "<think>\nI'm\nthinking\n</think>\n\nHello, world!\nWhat's up?", expected: { reasoning: "I'm\nthinking", content: "Hello, world!\nWhat's up?" } },
    { family: "qwen3", text: "<think>\nI'm\nthinking\n</think>\n\n<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n</tool_call>", expected: { reasoning: "I'm\nthinking", calls: [call("special_function", { arg1: 1 })] } },
    { family: "qwen3", text: "I'm\nthinking\n</think>\n\nHello", startsInReasoning: true, expected: { reasoning: "I'm\nthinking", content: "Hello" } },
    { family: "qwen3-coder", text: "<tool_call>\n<function=special_function>\n<parameter=arg1>\n1\n</parameter>\n</function>\n</tool_call>", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "qwen3-coder", text: "Let me call it.\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>", expected: { content: "Let me call it.", calls: [call("get_weather", { city: "Paris" })] } },
    { family: "qwen3-coder", text: "<tool_call>\n<function=special_function>\n<parameter=arg1>\n1\n</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>", expected: { calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "llama3", text: "{\"name\": \"special_function\", \"parameters\": {\"arg1\": 1}}", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "llama3", text: "<|python_tag|>brave_search.call(query=\"weather in Paris\")", endToken: "<|eom_id|>", expected: { calls: [call("brave_search", { query: "weather in Paris" })] } },
    { family: "llama3", text: "{not a call} said the model", expected: { content: "{not a call} said the model" } },
    { family: "llama3", text: "Hello, world!\nWhat's up?", expected: { content: "Hello, world!\nWhat's up?" } },
    { family: "mistral-nemo", text: "[TOOL_CALLS][{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}, \"id\": \"123456789\"}]", expected: { calls: [call("special_function", { arg1: 1 }, "123456789")] } },
    { family: "mistral-nemo", text: "[TOOL_CALLS][{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}, \"id\": \"000000001\"}, {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"000000002\"}]", expected: { calls: [call("special_function", { arg1: 1 }, "000000001"), call("get_weather", { city: "Paris" }, "000000002")] } },
    { family: "mistral-tekken", text: "[TOOL_CALLS]special_function[CALL_ID]123456789[ARGS]{\"arg1\": 1}", expected: { calls: [call("special_function", { arg1: 1 }, "123456789")] } },
    { family: "mistral-tekken", text: "Hello, world!\nWhat's up?[TOOL_CALLS]special_function[ARGS]{\"arg1\": 1}[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}", expected: { content: "Hello, world!\nWhat's up?", calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "mistral-tekken", text: "[THINK]I'm\nthinking[/THINK]Hello, world!", expected: { reasoning: "I'm\nthinking", content: "Hello, world!" } },
    { family: "gpt-oss", text: "<|channel|>analysis<|message|>I'm\nthinking<|end|><|start|>assistant<|channel|>final<|message|>Hello, world!\nWhat's up?", endToken: "<|return|>", expected: { reasoning: "I'm\nthinking", content: "Hello, world!\nWhat's up?" } },
    { family: "gpt-oss", text: "<|channel|>analysis<|message|>I'm\nthinking<|end|><|start|>assistant<|channel|>commentary to=functions.special_function <|constrain|>json<|message|>{\"arg1\": 1}", endToken: "<|call|>", expected: { reasoning: "I'm\nthinking", calls: [call("special_function", { arg1: 1 })] } },
    { family: "gpt-oss", text: " to=functions.special_function<|channel|>analysis<|message|>{\"arg1\": 1}", endToken: "<|call|>", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "gpt-oss", text: "<|channel|>final<|message|>Hi", expected: { content: "Hi" } },
    { family: "deepseek-r1", startsInReasoning: true, text: "I'm\nthinking</think>Hello, world!\nWhat's up?", expected: { reasoning: "I'm\nthinking", content: "Hello, world!\nWhat's up?" } },
    { family: "deepseek-r1", startsInReasoning: true, text: "</think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>special_function\n```json\n{\"arg1\": 1}```<｜tool▁call▁end｜><｜tool▁calls▁end｜>", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "deepseek-r1", text: "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>special_function\n```json\n{\"arg1\": 1}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>", expected: { calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "deepseek-v3.1", startsInReasoning: true, text: "REASONING</think>CONTENT<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Paris\"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>special_function<｜tool▁sep｜>{\"arg1\": 1}<｜tool▁call▁end｜><｜tool▁calls▁end｜>", expected: { reasoning: "REASONING", content: "CONTENT", calls: [call("get_weather", { city: "Paris" }), call("special_function", { arg1: 1 })] } },
    { family: "functionary-v3.1", text: "<function=special_function>{\"arg1\": 1}</function>", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "functionary-v3.2", text: "all\nHello, world!\nWhat's up?", expected: { content: "Hello, world!\nWhat's up?" } },
    { family: "functionary-v3.2", text: "special_function\n{\"arg1\": 1}>>>get_weather\n{\"city\": \"Paris\"}", expected: { calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "command-r7b", text: "<|START_THINKING|>I'm\nthinking<|END_THINKING|><|START_RESPONSE|>Hello, world!\nWhat's up?<|END_RESPONSE|>", expected: { reasoning: "I'm\nthinking", content: "Hello, world!\nWhat's up?" } },
    { family: "command-r7b", text: "<|START_THINKING|>I'm\nthinking<|END_THINKING|><|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"special_function\", \"parameters\": {\"arg1\": 1}}\n]<|END_ACTION|>", expected: { reasoning: "I'm\nthinking", calls: [call("special_function", { arg1: 1 })] } },
    { family: "granite-3.3", text: "<think>I'm\nthinking</think><response>Hello, world!\nWhat's up?</response>", expected: { reasoning: "I'm\nthinking", content: "Hello, world!\nWhat's up?" } },
    { family: "granite-3.3", text: "<|tool_call|>[{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}]", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "glm-4.5", text: "<tool_call>special_function\n<arg_key>arg1</arg_key>\n<arg_value>1</arg_value>\n</tool_call>", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "glm-4.5", text: "<think>I'm\nthinking</think>\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>\n<tool_call>special_function\n<arg_key>arg1</arg_key>\n<arg_value>1</arg_value>\n</tool_call>", expected: { reasoning: "I'm\nthinking", calls: [call("get_weather", { city: "Paris" }), call("special_function", { arg1: 1 })] } },
    { family: "kimi-k2", text: "<think>I'm thinking about this</think><|tool_calls_section_begin|><|tool_call_begin|>functions.special_function:0<|tool_call_argument_begin|>{\"arg1\": 1}<|tool_call_end|><|tool_call_begin|>functions.get_weather:1<|tool_call_argument_begin|>{\"city\": \"Paris\"}<|tool_call_end|><|tool_calls_section_end|>", expected: { reasoning: "I'm thinking about this", calls: [call("special_function", { arg1: 1 }, "functions.special_function:0"), call("get_weather", { city: "Paris" }, "functions.get_weather:1")] } },
    { family: "lfm2", text: "<|tool_call_start|>[special_function(arg1=1), get_weather(city=\"Paris\")]<|tool_call_end|>", expected: { calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "lfm2", text: "<think>I'm\nthinking</think>Hello, world!", expected: { reasoning: "I'm\nthinking", content: "Hello, world!" } },
    { family: "seed-oss", text: "<seed:think>I'm thinking about the answer</seed:think>\nHello, world!", expected: { reasoning: "I'm thinking about the answer", content: "Hello, world!" } },
    { family: "seed-oss", text: "<seed:tool_call>\n<function=special_function>\n<parameter=arg1>1</parameter>\n</function>\n</seed:tool_call>\n<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n</function>\n</seed:tool_call>", expected: { calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "minimax-m2", startsInReasoning: true, text: "I'm\nthinking\n</think>\n\n<minimax:tool_call>\n<invoke name=\"special_function\">\n<parameter name=\"arg1\">1</parameter>\n</invoke>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Paris</parameter>\n</invoke>\n</minimax:tool_call>", expected: { reasoning: "I'm\nthinking", calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "apertus", text: "<|tools_prefix|>[{\"special_function\": {\"arg1\": 1}}, {\"get_weather\": {\"city\": \"Paris\"}}]<|tools_suffix|>", expected: { calls: [call("special_function", { arg1: 1 }), call("get_weather", { city: "Paris" })] } },
    { family: "hermes", text: "<tool_call>{\"arguments\": {\"arg1\": 1}, \"name\": \"special_function\"}</tool_call>", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "hermes", text: "<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}</tool_call>", expected: { calls: [call("get_weather", { city: "Paris" })] } },
    { family: "hermes", text: "<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}", expected: { calls: [call("special_function", { arg1: 1 })] } },
    { family: "hermes", text: "<tool_call>{\"arguments\": {}}</tool_call>", expected: { content: "<tool_call>{\"arguments\": {}}</tool_call>" } },
    { family: "qwen3", text: "still thinking </thi", startsInReasoning: true, expected: { reasoning: "still thinking </thi" } },
    { family: "qwen3", text: "Paris is <think> not here", expected: { content: "Paris is <think> not here" } },
    { family: "hermes", readCalls: false, text: "<tool_call>\n{\"name\": \"x\", \"arguments\": {}}\n</tool_call>", expected: { content: "<tool_call>\n{\"name\": \"x\", \"arguments\": {}}\n</tool_call>" } }
];

describe("family output parsers", () => {
    for (const testCase of cases) {
        it(`${testCase.family}: ${JSON.stringify(testCase.text).slice(0, 90)}`, () => {
            for (const pieceLength of [testCase.text.length, 1, 2, 3, 5, 7]) {
                const result = run(testCase, pieceLength);
                const label = `pieces of ${pieceLength}`;
                expect(result.reasoning, label).toBe(testCase.expected.reasoning ?? "");
                expect(result.content, label).toBe(testCase.expected.content ?? "");
                expect(result.calls.map(({ name, arguments: args }) => ({ name, arguments: args })), label)
                    .toEqual((testCase.expected.calls ?? []).map(({ name, arguments: args }) => ({ name, arguments: args })));
                // Streamed, a call starts before an id written after its name is seen; read whole, the model's id is kept.
                if (pieceLength === testCase.text.length) {
                    (testCase.expected.calls ?? []).forEach((expected, index) => { if (expected.id) expect(result.calls[index]!.id, label).toBe(expected.id); });
                }
                expect(result.streamedArguments, label).toEqual(result.toolCalls.map((parsed) => parsed.arguments));
            }
        });
    }

    it("streams long text word by word (the unparsed fast path) to the same message as a whole parse", () => {
        const words = Array.from({ length: 300 }, (_, index) => `word${index}`).join(" ");
        const text = `<think>\n${words}\n</think>\n\n${words} done<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "notes": "${words}"}}\n</tool_call>`;
        const family = byId("qwen3");
        const whole = new FamilyOutputParser(family, { startsInReasoning: false, readCalls: true, tools });
        whole.push(text);
        whole.finish(null);
        const streamed = new FamilyOutputParser(family, { startsInReasoning: false, readCalls: true, tools });
        const events = [...(text.match(/\s*[\w']{1,6}|\s*[^\w\s]|\s+/g) ?? []).flatMap((piece) => streamed.push(piece)), ...streamed.finish(null)];
        const joined = (type: string) => events.filter((event) => event.type === type).map((event) => ("text" in event ? event.text : "")).join("");
        expect(joined("reasoning")).toBe(words);
        expect(joined("content")).toBe(`${words} done`);
        expect(joined("toolCallArguments")).toBe(whole.toolCalls[0]!.arguments);
        expect(JSON.parse(streamed.toolCalls[0]!.arguments)).toEqual({ city: "Paris", notes: words });
    });

    it("gives Mistral calls the nine-character ids its templates require", () => {
        const result = run({ family: "mistral-tekken", text: "[TOOL_CALLS]special_function[ARGS]{\"arg1\": 1}", expected: {} }, 4);
        expect(result.calls[0]!.id).toMatch(/^[a-zA-Z0-9]{9}$/);
    });
});

describe("resolveFamily", () => {
    it("recognizes a family from its template's markers, and falls back to the generic one", () => {
        expect(resolveFamily("{{ '<|start|>assistant<|channel|>final<|message|>' }}").id).toBe("gpt-oss");
        expect(resolveFamily("[TOOL_CALLS] [ARGS]").id).toBe("mistral-tekken");
        expect(resolveFamily("{% for m in messages %}{{ m.content }}{% endfor %}").id).toBe("generic");
        expect(resolveFamily(null).id).toBe("generic");
    });
});
