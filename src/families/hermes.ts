/**
 * Hermes 2 Pro / Hermes 3, Qwen 2.5, Granite 4.0 and SmolLM-style ChatML templates: each call is
 * `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`. Qwen3 (and QwQ) add `<think>` reasoning.
 */
import type { CallGrammarShape, ModelFamily } from "./ModelFamily.js";
import { afterReasoning, contentAndCalls, wrappedCalls } from "./parsing.js";

export const toolCallOpen = "<tool_call>";
export const toolCallClose = "</tool_call>";
export const thinkMarkers: [string, string] = ["<think>", "</think>"];

const hermesCalls = wrappedCalls(toolCallOpen, toolCallClose);

/** The `<tool_call>` convention, shared with the fallback for templates no family claims. */
export const hermesCallGrammar: CallGrammarShape = {
    trigger: toolCallOpen,
    open: "",
    separator: "\n",
    close: "",
    call: (name: string) => ({ before: `${toolCallOpen}\n{"name": ${JSON.stringify(name)}, "arguments": `, after: `}\n${toolCallClose}` })
};

export function hermesLike(id: string, name: string, reasons: boolean, detect: (template: string) => boolean): ModelFamily {
    return {
        id, name, reasons, detect,
        ...(reasons ? { reasoningMarkers: thinkMarkers } : {}),
        parse: (text, context) => afterReasoning(text, context, reasons ? thinkMarkers : null,
            (rest) => contentAndCalls(rest, context, [toolCallOpen], hermesCalls)),
        callGrammar: hermesCallGrammar
    };
}

export const qwen3Family = hermesLike("qwen3", "Qwen3 / QwQ (think + <tool_call>)", true,
    (template) => template.includes(toolCallOpen) && template.includes(thinkMarkers[0]));

export const hermesFamily = hermesLike("hermes", "Hermes 2 Pro / Hermes 3 / Qwen 2.5 / Granite 4 (<tool_call>)", false,
    (template) => template.includes(toolCallOpen));
