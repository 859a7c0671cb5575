/**
 * Renders a conversation into the prompt text a model expects, with the model's own Jinja chat template from
 * its GGUF header (the way llama.cpp's server does with --jinja). Models without a template get ChatML.
 * Tools and tool calls go to templates that know them in Hugging Face's conventions; for templates that do
 * not, they are described in the system message and written as `<tool_call>` / `<tool_response>` text.
 */
import { createHash } from "node:crypto";
import { Template } from "@huggingface/jinja";
import "./jinjaCompatibility.js";
import { ChatTemplateUnusable, InvalidRequest } from "../errors.js";
import { toolCallClose, toolCallOpen } from "../families/hermes.js";
import type { ModelFamily } from "../families/ModelFamily.js";

export type ChatToolCall = { id: string; name: string; arguments: string };

export type ChatTurn = {
    role: "system" | "user" | "assistant" | "tool";
    content: string;
    toolCalls?: ChatToolCall[];
    toolCallId?: string;
    name?: string;
};

export type ToolDefinition = {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
};

export type TemplateSource = {
    chatTemplate: string | null;
    bosToken: string | null;
    eosToken: string | null;
};

const chatmlFallback = "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const compiled = new Map<string, Template | Error>();

function compile(source: string): Template | Error {
    let template = compiled.get(source);
    if (template === undefined) {
        try {
            template = new Template(source);
        } catch (error) {
            template = error instanceof Error ? error : new Error(String(error));
        }
        compiled.set(source, template);
    }
    return template;
}

export function templateSupportsTools(model: TemplateSource): boolean {
    return /\btools\b/.test(model.chatTemplate ?? "");
}

/** Whether the model's template writes thinking blocks. */
export function templateReasons(model: TemplateSource): boolean {
    return (model.chatTemplate ?? "").includes("<think>");
}

const toOpenAiTool = (tool: ToolDefinition) => ({
    type: "function",
    // An empty description rather than none: templates concatenate it (`'...' + tool.description`), which an
    // undefined value would fail; those that test it see "" as absent.
    function: { name: tool.name, description: tool.description ?? "", parameters: tool.parameters ?? { type: "object", properties: {} } }
});

function parsedArguments(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

const callText = (call: ChatToolCall) => `${toolCallOpen}\n${JSON.stringify({ name: call.name, arguments: parsedArguments(call.arguments) })}\n${toolCallClose}`;

/** Tools explained in the system message, and tool traffic as text, for templates that know nothing of tools. */
function describeToolsInText(turns: ChatTurn[], tools: ToolDefinition[]): ChatTurn[] {
    const rewritten: ChatTurn[] = turns.map((turn) => {
        if (turn.role === "assistant" && turn.toolCalls?.length) {
            return { role: "assistant", content: [turn.content, ...turn.toolCalls.map(callText)].filter(Boolean).join("\n") };
        }
        if (turn.role === "tool") return { role: "user", content: `<tool_response>\n${turn.content}\n</tool_response>` };
        return { role: turn.role, content: turn.content };
    });
    if (tools.length === 0) return rewritten;
    const instructions = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
        tools.map((tool) => JSON.stringify(toOpenAiTool(tool))).join("\n") +
        "\n</tools>\n\nFor each function call, return a json object with function name and arguments within " +
        `${toolCallOpen}${toolCallClose} XML tags:\n${toolCallOpen}\n{"name": <function-name>, "arguments": <args-json-object>}\n${toolCallClose}`;
    const [first, ...rest] = rewritten;
    if (first?.role === "system") return [{ role: "system", content: `${first.content}\n\n${instructions}` }, ...rest];
    return [{ role: "system", content: instructions }, ...rewritten];
}

/** A call id the family's template accepts: ids of another shape map, always the same way, onto one that fits. */
function acceptedCallId(id: string, family: ModelFamily | undefined): string {
    if (family?.callIdPattern === undefined || family.callIdPattern.test(id)) return id;
    const digest = createHash("sha256").update(id).digest();
    const alphanumerics = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    return Array.from(digest.subarray(0, 9), (byte) => alphanumerics[byte % alphanumerics.length]).join("");
}

/** Hugging Face's message shape: tool call arguments as objects, as templates expect them. */
function templateMessage(turn: ChatTurn, family: ModelFamily | undefined): Record<string, unknown> {
    return {
        role: turn.role,
        content: turn.content,
        ...(turn.toolCalls?.length ? {
            tool_calls: turn.toolCalls.map((call) => ({
                id: acceptedCallId(call.id, family), type: "function", function: { name: call.name, arguments: parsedArguments(call.arguments) }
            }))
        } : {}),
        ...(turn.toolCallId !== undefined ? { tool_call_id: acceptedCallId(turn.toolCallId, family) } : {}),
        ...(turn.name !== undefined ? { name: turn.name } : {})
    };
}

const systemProbe = "\u0000system-probe\u0000";
const systemRoleSupport = new Map<string, boolean>();

/** Whether a template writes a system message (Gemma 2's raises "System role not supported"; others drop it). */
function supportsSystemRole(source: string, template: Template, base: Record<string, unknown>): boolean {
    let supported = systemRoleSupport.get(source);
    if (supported === undefined) {
        try {
            supported = template.render({ ...base, messages: [{ role: "system", content: systemProbe }, { role: "user", content: "hi" }] }).includes(systemProbe);
        } catch {
            supported = false;
        }
        systemRoleSupport.set(source, supported);
    }
    return supported;
}

/** System messages folded into the first user turn, as llama.cpp does for templates without a system role. */
function foldSystemIntoUser(turns: ChatTurn[]): ChatTurn[] {
    const system = turns.filter((turn) => turn.role === "system").map((turn) => turn.content).join("\n\n");
    const rest = turns.filter((turn) => turn.role !== "system");
    if (system === "") return rest;
    const firstUser = rest.findIndex((turn) => turn.role === "user");
    if (firstUser === -1) return [{ role: "user", content: system }, ...rest];
    return rest.map((turn, index) => (index === firstUser ? { ...turn, content: `${system}\n\n${turn.content}` } : turn));
}

export type RenderOptions = {
    family?: ModelFamily;
    /** Template variables: reasoning switches (`enable_thinking`, `reasoning_effort`), a request's chat_template_kwargs. */
    variables?: Record<string, unknown>;
};

export function renderChatPrompt(model: TemplateSource, turns: ChatTurn[], tools: ToolDefinition[] = [], options: RenderOptions = {}): string {
    const source = model.chatTemplate ?? chatmlFallback;
    const template = compile(source);
    if (template instanceof Error) {
        throw new ChatTemplateUnusable(template.message);
    }
    const nativeTools = templateSupportsTools(model);
    const usesToolTraffic = tools.length > 0 || turns.some((turn) => turn.role === "tool" || turn.toolCalls?.length);
    let messages = usesToolTraffic && !nativeTools ? describeToolsInText(turns, tools) : turns;
    const base = {
        add_generation_prompt: true,
        bos_token: model.bosToken ?? "",
        eos_token: model.eosToken ?? "",
        ...options.variables
    };
    if (messages.some((turn) => turn.role === "system") && !supportsSystemRole(source, template, base)) messages = foldSystemIntoUser(messages);
    try {
        return template.render({
            ...base,
            messages: messages.map((turn) => templateMessage(turn, options.family)),
            ...(nativeTools && tools.length > 0 ? { tools: tools.map(toOpenAiTool) } : {})
        });
    } catch (error) {
        // Templates raise errors of their own ("Conversation roles must alternate user/assistant/..."): the
        // conversation is what is wrong, so the client hears the template's words.
        throw new InvalidRequest(`The model's chat template rejected the conversation: ${error instanceof Error ? error.message : String(error)}`,
            "messages", "invalid_conversation");
    }
}
