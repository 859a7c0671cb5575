/**
 * Every chat template in llama.cpp's `models/templates/` collection, rendered by lmhost's renderer for the
 * conversations clients send: plain chat, a system message, several turns, tools offered, assistant tool calls
 * followed by tool results, and reasoning on and off. Templates that cannot render are listed with the reason;
 * the README reports the count.
 */
import { describe, expect, it } from "vitest";
import { resolveFamily } from "../../../src/families/resolveFamily.js";
import { renderChatPrompt, type ChatTurn, type ToolDefinition } from "../../../src/services/chatPrompt.js";
import { ensureLlamaCppSource, llamaCppTemplate, llamaCppTemplateNames } from "../../support/llamaCppSource.js";

await ensureLlamaCppSource();
const names = llamaCppTemplateNames();

const tools: ToolDefinition[] = [{ name: "get_weather", description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
const scenarios: Record<string, { turns: ChatTurn[]; tools?: ToolDefinition[]; variables?: Record<string, unknown> }> = {
    "plain chat": { turns: [{ role: "user", content: "Hello" }] },
    "a system message": { turns: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello" }] },
    "several turns": { turns: [{ role: "user", content: "Hello" }, { role: "assistant", content: "Hi!" }, { role: "user", content: "How are you?" }] },
    "tools offered": { turns: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Paris?" }], tools },
    "a tool call and its result": {
        turns: [
            { role: "user", content: "Weather in Paris?" },
            { role: "assistant", content: "", toolCalls: [{ id: "call0abcd", name: "get_weather", arguments: "{\"city\": \"Paris\"}" }] },
            { role: "tool", content: "{\"temperature\": 21}", toolCallId: "call0abcd", name: "get_weather" }
        ],
        tools
    },
    "reasoning on": { turns: [{ role: "user", content: "Hello" }], variables: { enable_thinking: true, reasoning_effort: "high" } },
    "reasoning off": { turns: [{ role: "user", content: "Hello" }], variables: { enable_thinking: false, reasoning_effort: "low" } }
};

function failures(name: string): string[] {
    const template = llamaCppTemplate(name);
    const header = { chatTemplate: template, bosToken: "<s>", eosToken: "</s>" };
    const family = resolveFamily(template);
    const failed: string[] = [];
    for (const [scenario, { turns, tools: offered, variables }] of Object.entries(scenarios)) {
        try {
            const prompt = renderChatPrompt(header, turns, offered ?? [], { family, ...(variables ? { variables } : {}) });
            // The last message's words reach the prompt (a tool result may be re-encoded as JSON).
            const last = turns[turns.length - 1]!.content.replace(/[{}":]/g, " ").trim().split(/\s+/).pop()!;
            if (!prompt.includes(last)) failed.push(`${scenario}: the last message is missing from the prompt`);
        } catch (error) {
            failed.push(`${scenario}: ${error instanceof Error ? error.message : String(error)}`);
        }
    }
    return failed;
}

/** Templates that cannot render, with the reason; each is a gap to close, not an expectation. */
export const knownFailures: Record<string, string> = {
    "CohereForAI-c4ai-command-r-plus-tool_use.jinja": "describes tools in Cohere's own parameter_definitions format, not JSON Schema: tools offered fail (Jinja2 fails the same way)",
    "fireworks-ai-llama-3-firefunction-v2.jinja": "reads variables no OpenAI-style request supplies (functions, message_roles_string): every conversation fails (Jinja2 fails the same way)",
    "tencent-Hy3.jinja": "calls Python's str.format(), which @huggingface/jinja does not have"
};

describe("llama.cpp's template collection", () => {
    it("holds the templates", () => {
        expect(names.length).toBeGreaterThan(50);
    });

    it.each(names)("%s renders every conversation", (name) => {
        const failed = failures(name);
        if (knownFailures[name] !== undefined) {
            expect(failed.length, `${name} now renders: remove it from knownFailures`).toBeGreaterThan(0);
            return;
        }
        expect(failed).toEqual([]);
    });
});
