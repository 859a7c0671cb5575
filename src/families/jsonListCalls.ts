/**
 * Families that write their calls as one JSON list after a marker token: Granite 3.3
 * (`<|tool_call|>[{"name": ..., "arguments": {...}}]`, reasoning in `<think>`, the answer in `<response>`),
 * Apertus (`<|tools_prefix|>[{"name": {...arguments}}]<|tools_suffix|>`) and Kimi K2
 * (`<|tool_calls_section_begin|><|tool_call_begin|>functions.name:0<|tool_call_argument_begin|>{...}<|tool_call_end|>
 * <|tool_calls_section_end|>`, with `<think>` reasoning).
 */
import type { ModelFamily, ParsedCall, ReasoningEffort } from "./ModelFamily.js";
import { afterReasoning, argumentsEntry, contentAndCalls, jsonObjectCall, jsonValueEnd, listCalls, objectEntries, skipWhitespace, withoutPartialMarker, type CallsReader } from "./parsing.js";
import { thinkMarkers } from "./hermes.js";

const graniteCalls = listCalls("<|tool_call|>", (text, index, context) => jsonObjectCall(text, index, !context.partial));

export const granite33Family: ModelFamily = {
    id: "granite-3.3",
    name: "Granite 3.x (<|tool_call|>[...], <think>/<response>)",
    reasons: true,
    reasoningMarkers: thinkMarkers,
    detect: (template) => template.includes("<|tool_call|>") && template.includes("<|start_of_role|>"),
    endTokens: ["<|end_of_text|>"],
    parse: (text, context) => {
        const message = afterReasoning(text, context, thinkMarkers, (rest) => contentAndCalls(rest, context, ["<|tool_call|>"], graniteCalls));
        // Granite 3.3 thinking wraps the answer in <response>...</response>.
        const opening = message.content.indexOf("<response>");
        if (opening === -1 && context.partial && "<response>".startsWith(message.content.trimStart())) return { ...message, content: "" };
        if (opening === -1 || message.content.slice(0, opening).trim() !== "") return message;
        const body = message.content.slice(opening + "<response>".length);
        const closing = body.indexOf("</response>");
        const answer = closing === -1 ? withoutPartialMarker(body, ["</response>"], context.partial) : body.slice(0, closing);
        return { ...message, content: answer.trim() };
    },
    callGrammar: { open: "<|tool_call|>[", separator: ", ", close: "]", trigger: "<|tool_call|>", call: (name) => ({ before: `{"name": ${JSON.stringify(name)}, "arguments": `, after: "}" }) },
    reasoningVariables: (effort: ReasoningEffort) => ({ thinking: effort !== "none" })
};

/** Apertus writes `{"name": {arguments}}`: the single key is the function. */
const apertusCalls = listCalls("<|tools_prefix|>", (text, index, context) => {
    const object = objectEntries(text, index, !context.partial);
    if (object === null) return null;
    const [first] = object.entries;
    if (first === undefined) return { call: null, end: object.end };
    const [name, entry] = first;
    return { call: { name, arguments: argumentsEntry(text, entry, entry.end !== -1) }, end: object.end };
}, "<|tools_suffix|>");

export const apertusFamily: ModelFamily = {
    id: "apertus",
    name: "Apertus (<|tools_prefix|>[{name: {...}}])",
    reasons: true,
    reasoningMarkers: ["<|inner_prefix|>", "<|inner_suffix|>"],
    detect: (template) => template.includes("<|tools_prefix|>"),
    endTokens: ["<|assistant_end|>"],
    parse: (text, context) => afterReasoning(text, context, ["<|inner_prefix|>", "<|inner_suffix|>"], (rest) => contentAndCalls(rest, context, ["<|tools_prefix|>"], apertusCalls)),
    callGrammar: { open: "<|tools_prefix|>[", separator: ", ", close: "]<|tools_suffix|>", trigger: "<|tools_prefix|>", call: (name) => ({ before: `{${JSON.stringify(name)}: `, after: "}" }) }
};

const kimi = {
    sectionBegin: "<|tool_calls_section_begin|>", sectionEnd: "<|tool_calls_section_end|>",
    callBegin: "<|tool_call_begin|>", argumentBegin: "<|tool_call_argument_begin|>", callEnd: "<|tool_call_end|>"
};

const kimiCalls: CallsReader = (text, from, context) => {
    const calls: ParsedCall[] = [];
    let index = from + kimi.sectionBegin.length;
    for (;;) {
        index = skipWhitespace(text, index);
        if (index >= text.length) return { calls, end: -1, valid: true };
        if (text.startsWith(kimi.sectionEnd, index)) return { calls, end: index + kimi.sectionEnd.length, valid: true };
        if (!text.startsWith(kimi.callBegin, index)) return { calls, end: context.partial ? -1 : index, valid: calls.length > 0 || context.partial };
        const argumentAt = text.indexOf(kimi.argumentBegin, index);
        if (argumentAt === -1) return { calls, end: -1, valid: true };
        const header = text.slice(index + kimi.callBegin.length, argumentAt).trim();
        const [, name = header] = /^(?:functions\.)?(.+?)(?::\d+)?$/.exec(header) ?? [];
        const valueStart = argumentAt + kimi.argumentBegin.length;
        const valueEnd = jsonValueEnd(text, valueStart, !context.partial);
        calls.push({ name, id: header, arguments: argumentsEntry(text, { start: skipWhitespace(text, valueStart), end: valueEnd }, valueEnd !== -1) });
        if (valueEnd === -1) return { calls, end: -1, valid: true };
        index = skipWhitespace(text, valueEnd);
        if (text.startsWith(kimi.callEnd, index)) index += kimi.callEnd.length;
    }
};

export const kimiK2Family: ModelFamily = {
    id: "kimi-k2",
    name: "Kimi K2 (<|tool_calls_section_begin|>, functions.name:0 ids)",
    reasons: true,
    reasoningMarkers: thinkMarkers,
    detect: (template) => template.includes(kimi.sectionBegin),
    endTokens: ["<|im_end|>"],
    parse: (text, context) => afterReasoning(text, context, thinkMarkers, (rest) => contentAndCalls(rest, context, [kimi.sectionBegin], kimiCalls)),
    callGrammar: {
        open: kimi.sectionBegin, separator: "", close: kimi.sectionEnd, trigger: kimi.sectionBegin,
        call: (name) => ({ before: `${kimi.callBegin}functions.${name}:0${kimi.argumentBegin}`, after: kimi.callEnd })
    }
};
