/**
 * LFM2 / LFM2.5 (Liquid): calls are a Python list between `<|tool_call_start|>` and `<|tool_call_end|>`,
 * `[get_weather(city="Paris"), ...]`; LFM2.5 reasons in `<think>`. Arguments are Python keyword arguments,
 * turned into JSON once each call is complete.
 */
import type { ModelFamily } from "./ModelFamily.js";
import { afterReasoning, closingParenthesis, contentAndCalls, listCalls, pythonKeywordArguments } from "./parsing.js";
import { thinkMarkers } from "./hermes.js";

const open = "<|tool_call_start|>";
const close = "<|tool_call_end|>";

/** One `name(key=value, ...)` of the list: complete once its parenthesis closes. */
const pythonCalls = listCalls(open, (text, index) => {
    const name = /^([\w.-]+)\(/.exec(text.slice(index));
    if (name === null) return null;
    const argumentsStart = index + name[0].length;
    const closing = closingParenthesis(text, argumentsStart);
    if (closing === -1) return { call: null, end: -1 };
    const args = pythonKeywordArguments(text.slice(argumentsStart, closing));
    return args === null ? null : { call: { name: name[1]!, arguments: args }, end: closing + 1 };
}, close);

export const lfm2Family: ModelFamily = {
    id: "lfm2",
    name: "LFM2 / LFM2.5 (<|tool_call_start|>[name(key=value)])",
    reasons: true,
    reasoningMarkers: thinkMarkers,
    detect: (template) => template.includes("<|tool_list_start|>") || template.includes(open),
    parse: (text, context) => afterReasoning(text, context, thinkMarkers, (rest) => contentAndCalls(rest, context, [open], pythonCalls)),
    callGrammar: {
        open: `${open}[`, separator: ", ", close: `]${close}`, trigger: open,
        call: (name) => ({ before: `${name}(`, after: ")" }),
        // Keyword arguments with JSON values: JSON strings, numbers and lists are Python literals too.
        fields: { field: (key) => ({ before: `${key}=`, after: "" }), separator: ", ", bareStrings: false }
    }
};
