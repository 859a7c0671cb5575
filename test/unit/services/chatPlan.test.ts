/** Reasoning control and forced calls per family, on llama.cpp's real templates. */
import { describe, expect, it } from "vitest";
import { planChat } from "../../../src/services/chatPlan.js";
import type { ChatRequest } from "../../../src/services/InferenceService.js";
import { ensureLlamaCppSource, llamaCppTemplate } from "../../support/llamaCppSource.js";

await ensureLlamaCppSource();

const header = (template: string) => ({ chatTemplate: llamaCppTemplate(template), bosToken: "<s>", eosToken: "</s>" });
const tools = [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }];

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
    return {
        model: "m", maxTokens: null, stop: [], sampling: {}, responseFormat: { type: "text" }, logprobs: null, logitBias: {}, cachePrompt: true,
        stream: false, receivedAt: 0, signal: new AbortController().signal,
        messages: [{ role: "user", content: "What is the weather in Paris?" }], tools: [], toolChoice: "auto", parallelToolCalls: true,
        splitMessage: true, reasoningEffort: null, templateVariables: {}, ...overrides
    };
}

describe("reasoning control", () => {
    it("turns Qwen3's thinking off with reasoning_effort none or enable_thinking false, and leaves it on by default", () => {
        const qwen3 = header("Qwen-Qwen3-0.6B.jinja");
        expect(planChat(qwen3, request()).prompt.endsWith("<|im_start|>assistant\n")).toBe(true);
        expect(planChat(qwen3, request({ reasoningEffort: "none" })).prompt.endsWith("<think>\n\n</think>\n\n")).toBe(true);
        expect(planChat(qwen3, request({ templateVariables: { enable_thinking: false } })).prompt.endsWith("<think>\n\n</think>\n\n")).toBe(true);
    });

    it("gives gpt-oss the effort, with none as its lowest", () => {
        const gptOss = header("openai-gpt-oss-120b.jinja");
        expect(planChat(gptOss, request({ reasoningEffort: "high" })).prompt).toContain("Reasoning: high");
        expect(planChat(gptOss, request({ reasoningEffort: "none" })).prompt).toContain("Reasoning: low");
        expect(planChat(gptOss, request()).prompt).toContain("Reasoning: medium");
    });

    it("closes the think block DeepSeek R1's distills always open, when thinking is off", () => {
        const r1 = header("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja");
        const on = planChat(r1, request());
        expect(on.prompt.endsWith("<think>\n")).toBe(true);
        expect(on.reading.parser.startsInReasoning).toBe(true);
        const off = planChat(r1, request({ reasoningEffort: "none" }));
        expect(off.prompt.endsWith("</think>\n\n")).toBe(true);
        expect(off.reading.parser.startsInReasoning).toBe(false);
    });

    it("switches DeepSeek V3.1 and Granite 3.3 with their own variable", () => {
        expect(planChat(header("deepseek-ai-DeepSeek-V3.1.jinja"), request({ reasoningEffort: "high" })).prompt.endsWith("<think>")).toBe(true);
        expect(planChat(header("deepseek-ai-DeepSeek-V3.1.jinja"), request({ reasoningEffort: "none" })).prompt.endsWith("</think>")).toBe(true);
        const granite = header("ibm-granite-granite-3.3-2B-Instruct.jinja");
        expect(planChat(granite, request({ reasoningEffort: "high" })).prompt).toContain("<think>");
        expect(planChat(granite, request({ reasoningEffort: "none" })).prompt).not.toContain("<think>");
    });
});

describe("forced calls", () => {
    it("are written in the family's own syntax", () => {
        const forced = (template: string) => planChat(header(template), request({ tools, toolChoice: "required" })).grammar;
        const first = (template: string) => {
            const grammar = forced(template);
            if (grammar?.kind !== "toolCalls") throw new Error("no call grammar");
            const call = grammar.tools[0]!;
            return { open: grammar.open, before: call.before, after: call.after, parallel: grammar.parallel, ...("beforeRule" in call ? { beforeRule: call.beforeRule } : {}) };
        };
        expect(first("Mistral-Small-3.2-24B-Instruct-2506.jinja")).toMatchObject({ open: "", before: "[TOOL_CALLS]get_weather", after: "" });
        expect(first("Mistral-Small-3.2-24B-Instruct-2506.jinja").beforeRule).toContain("[CALL_ID]");
        expect(first("openai-gpt-oss-120b.jinja")).toMatchObject({ before: "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>", parallel: false });
        expect(first("meta-llama-Llama-3.1-8B-Instruct.jinja")).toMatchObject({ before: "{\"name\": \"get_weather\", \"parameters\": ", parallel: false });
        expect(first("Qwen-Qwen2.5-7B-Instruct.jinja")).toMatchObject({ before: "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ", parallel: true });
    });

    it("write each argument on its own for families whose arguments are not JSON, required ones always", () => {
        const twoParameters = [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] } }];
        const plan = planChat(header("Qwen3-Coder.jinja"), request({ tools: twoParameters, toolChoice: { name: "get_weather" } }));
        expect(plan.reading.family.id).toBe("qwen3-coder");
        const call = plan.grammar?.kind === "toolCalls" ? plan.grammar.tools[0]! : null;
        expect(call).toMatchObject({
            before: "<tool_call>\n<function=get_weather>\n",
            after: "</function>\n</tool_call>",
            fields: [
                { before: "<parameter=city>\n", after: "\n</parameter>\n", optional: false },
                { before: "<parameter=days>\n", after: "\n</parameter>\n", optional: true }
            ]
        });
        // The string bare (as the family's parser reads it), the integer as JSON.
        const fields = call !== null && "fields" in call ? call.fields : [];
        expect(fields[0]!.grammar).toMatch(/^field ::= \( bare-char \)\*$/m);
        expect(fields[1]!.grammar).toMatch(/^field ::= integer$/m);
        const lfm2 = planChat(header("LFM2.5-8B-A1B.jinja"), request({ tools: twoParameters, toolChoice: "required" })).grammar;
        expect(lfm2?.kind === "toolCalls" && lfm2.open).toBe("<|tool_call_start|>[");
        expect(lfm2?.kind === "toolCalls" && lfm2.tools[0]).toMatchObject({ before: "get_weather(", fieldSeparator: ", ", fields: [{ before: "city=" }, { before: "days=" }] });
        const lfmFields = lfm2?.kind === "toolCalls" && "fields" in lfm2.tools[0]! ? lfm2.tools[0].fields : [];
        expect(lfmFields[0]!.grammar, "LFM2 quotes its strings").toMatch(/^field ::= string$/m);
    });
});
