/**
 * LFM2 / LFM2.5 (Liquid): calls are a Python list between `<|tool_call_start|>` and `<|tool_call_end|>`,
 * `[get_weather(city="Paris"), ...]`; LFM2.5 reasons in `<think>`. Arguments are Python keyword arguments,
 * turned into JSON once each call is complete.
 */
import type { ModelFamily, ParsedCall } from "./ModelFamily.js";
import { afterReasoning, closingParenthesis, contentAndCalls, pythonKeywordArguments, skipWhitespace, type CallsReader } from "./parsing.js";
import { thinkMarkers } from "./hermes.js";

const open = "<|tool_call_start|>";
const close = "<|tool_call_end|>";

const pythonCalls: CallsReader = (text, from, context) => {
    const calls: ParsedCall[] = [];
    let index = skipWhitespace(text, from + open.length);
    if (index >= text.length) return { calls, end: -1, valid: true };
    if (text[index] !== "[") return { calls, end: -1, valid: false };
    index++;
    for (;;) {
        index = skipWhitespace(text, index);
        if (index >= text.length) return { calls, end: -1, valid: true };
        if (text[index] === ",") {
            index++;
            continue;
        }
        if (text[index] === "]") {
            index = skipWhitespace(text, index + 1);
            if (text.startsWith(close, index)) return { calls, end: index + close.length, valid: true };
            return { calls, end: context.partial ? -1 : index, valid: true };
        }
        const name = /^([\w.-]+)\(/.exec(text.slice(index));
        if (name === null) return { calls, end: -1, valid: context.partial || calls.length > 0 };
        const argumentsStart = index + name[0].length;
        const closing = closingParenthesis(text, argumentsStart);
        if (closing === -1) return { calls, end: -1, valid: true };
        const args = pythonKeywordArguments(text.slice(argumentsStart, closing));
        if (args === null) return { calls, end: -1, valid: calls.length > 0 };
        calls.push({ name: name[1]!, arguments: args });
        index = closing + 1;
    }
};

export const lfm2Family: ModelFamily = {
    id: "lfm2",
    name: "LFM2 / LFM2.5 (<|tool_call_start|>[name(key=value)])",
    reasons: true,
    reasoningOpen: thinkMarkers[0],
    detect: (template) => template.includes("<|tool_list_start|>") || template.includes(open),
    parse: (text, context) => afterReasoning(text, context, thinkMarkers, (rest) => contentAndCalls(rest, context, [open], pythonCalls)),
    callGrammar: null
};
