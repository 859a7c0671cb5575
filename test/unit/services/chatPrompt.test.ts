import { describe, expect, it } from "vitest";
import { ChatTemplateUnusable, InvalidRequest } from "../../../src/errors.js";
import { renderChatPrompt } from "../../../src/services/chatPrompt.js";
import { chatmlTemplate } from "../../support/gguf/chatmlTemplate.js";

const turns = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "Hi" }
];

describe("renderChatPrompt", () => {
    it("renders with the model's template and adds the generation prompt", () => {
        expect(renderChatPrompt({ chatTemplate: chatmlTemplate, bosToken: null, eosToken: "<|im_end|>" }, turns))
            .toBe("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    });

    it("passes bos_token and eos_token to the template", () => {
        const template = "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}";
        expect(renderChatPrompt({ chatTemplate: template, bosToken: "<s>", eosToken: "</s>" }, turns)).toBe("<s>[system]Be brief.</s>[user]Hi</s>");
    });

    it("falls back to ChatML for models without a template", () => {
        expect(renderChatPrompt({ chatTemplate: null, bosToken: null, eosToken: null }, [{ role: "user", content: "Hi" }]))
            .toBe("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    });

    it("turns a template's own error into a 400 that quotes it", () => {
        const strict = "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with a user message') }}{% endif %}";
        expect(() => renderChatPrompt({ chatTemplate: strict, bosToken: null, eosToken: null }, [{ role: "assistant", content: "Hi" }, { role: "user", content: "Hello" }]))
            .toThrow(new InvalidRequest("The model's chat template rejected the conversation: Conversation must start with a user message", "messages", "invalid_conversation"));
    });

    it("folds the system message into the first user turn for a template without a system role, as llama.cpp does", () => {
        const noSystem = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
            "<{{ m.role }}>{{ m.content }}</{{ m.role }}>{% endfor %}";
        expect(renderChatPrompt({ chatTemplate: noSystem, bosToken: null, eosToken: null },
            [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }, { role: "user", content: "Bye" }]))
            .toBe("<user>Be brief.\n\nHi</user><assistant>Hello</assistant><user>Bye</user>");
    });

    it("reports a template that cannot be parsed as the model's fault: a 500 invalid_chat_template, not a 400", () => {
        const render = () => renderChatPrompt({ chatTemplate: "{% for %}", bosToken: null, eosToken: null }, turns);
        expect(render).toThrow(ChatTemplateUnusable);
        try {
            render();
        } catch (error) {
            expect(error).toMatchObject({ status: 500, type: "server_error", code: "invalid_chat_template" });
        }
    });
});

describe("renderChatPrompt with tools", () => {
    const weatherTool = { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } } } };
    const conversation = [
        { role: "user" as const, content: "Weather in Paris?" },
        { role: "assistant" as const, content: "", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] },
        { role: "tool" as const, content: '{"temp": 21}', toolCallId: "call_1" }
    ];

    it("gives tools, tool calls and tool results to a template that knows them", () => {
        const prompt = renderChatPrompt({ chatTemplate: chatmlTemplate, bosToken: null, eosToken: null }, conversation, [weatherTool]);
        expect(prompt).toContain("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"");
        expect(prompt).toContain('<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>');
        expect(prompt).toContain("<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>");
        expect(prompt.endsWith("<|im_start|>assistant\n")).toBe(true);
    });

    it("describes tools in the system message for a template that does not know them", () => {
        const plain = { chatTemplate: null, bosToken: null, eosToken: null };
        const prompt = renderChatPrompt(plain, [{ role: "system", content: "Be brief." }, ...conversation], [weatherTool]);
        expect(prompt).toMatch(/^<\|im_start\|>system\nBe brief\.\n\n# Tools\n/);
        expect(prompt).toContain('"name":"get_weather"');
        expect(prompt).toContain('<|im_start|>assistant\n<tool_call>\n{"name":"get_weather","arguments":{"city":"Paris"}}\n</tool_call><|im_end|>');
        expect(prompt).toContain("<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>");
    });
});
