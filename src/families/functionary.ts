/**
 * Functionary (MeetKai). v3.1, on Llama 3.1: `<function=name>{...}</function>` calls, code after
 * `<|python_tag|>`. v3.2: the prompt ends with `>>>`; the model names a recipient, then a newline: `all` for
 * the answer, or a function whose JSON arguments follow; each further part starts with `>>>` again.
 */
import type { ModelFamily, ParsedCall, ParsedMessage } from "./ModelFamily.js";
import { argumentsEntry, contentAndCalls, jsonValueEnd, skipWhitespace, withoutPartialMarker, type CallsReader } from "./parsing.js";

const functionOpen = /<function=([^>]+)>/y;

const v31Calls: CallsReader = (text, from, context) => {
    const calls: ParsedCall[] = [];
    let index = from;
    for (;;) {
        index = skipWhitespace(text, index);
        if (index >= text.length) return { calls, end: context.partial ? -1 : index, valid: true };
        if (text.startsWith("<|python_tag|>", index)) {
            const code = text.slice(index + "<|python_tag|>".length);
            if (!context.partial) calls.push({ name: "python", arguments: JSON.stringify({ code: code.trim() }) });
            return { calls, end: context.partial ? -1 : text.length, valid: true };
        }
        functionOpen.lastIndex = index;
        const open = functionOpen.exec(text);
        if (open === null) {
            if (context.partial && "<function=".startsWith(text.slice(index, index + 10)) || (context.partial && text.startsWith("<function=", index))) return { calls, end: -1, valid: true };
            return { calls, end: index, valid: calls.length > 0 };
        }
        const valueStart = open.index + open[0].length;
        const valueEnd = jsonValueEnd(text, valueStart, !context.partial);
        calls.push({ name: open[1]!.trim(), arguments: argumentsEntry(text, { start: skipWhitespace(text, valueStart), end: valueEnd }, valueEnd !== -1) });
        if (valueEnd === -1) return { calls, end: -1, valid: true };
        index = skipWhitespace(text, valueEnd);
        if (text.startsWith("</function>", index)) index += "</function>".length;
        else if (context.partial) return { calls, end: -1, valid: true };
    }
};

export const functionaryV31Family: ModelFamily = {
    id: "functionary-v3.1",
    name: "Functionary v3.1 (<function=name>{...}</function>)",
    reasons: false,
    detect: (template) => template.includes("<function=") && template.includes("<|start_header_id|>"),
    endTokens: ["<|eot_id|>", "<|eom_id|>"],
    parse: (text, context) => contentAndCalls(text, context, ["<function=", "<|python_tag|>"], v31Calls),
    callGrammar: { open: "", separator: "", close: "", trigger: "<function=", call: (name) => ({ before: `<function=${name}>`, after: "</function>" }) }
};

function readV32(text: string, context: Parameters<ModelFamily["parse"]>[1]): ParsedMessage {
    const content: string[] = [];
    const calls: ParsedCall[] = [];
    let index = 0;
    for (;;) {
        const newline = text.indexOf("\n", index);
        if (newline === -1) break;
        const recipient = text.slice(index, newline).trim();
        const bodyStart = newline + 1;
        const next = text.indexOf(">>>", bodyStart);
        const bodyEnd = next === -1 ? text.length : next;
        if (recipient === "all" || !context.readCalls) {
            const body = text.slice(bodyStart, bodyEnd);
            content.push(next === -1 ? withoutPartialMarker(body, [">>>"], context.partial) : body);
        } else {
            const valueEnd = jsonValueEnd(text, bodyStart, !context.partial);
            calls.push({ name: recipient, arguments: argumentsEntry(text, { start: skipWhitespace(text, bodyStart), end: valueEnd === -1 ? -1 : Math.min(valueEnd, bodyEnd) }, valueEnd !== -1) });
        }
        if (next === -1) break;
        index = next + 3;
    }
    // Without a recipient line at all (a model that skipped it), the text is the answer.
    if (index === 0 && text.indexOf("\n") === -1 && !context.partial) content.push(text);
    return { reasoning: "", content: content.join("").trim(), calls };
}

export const functionaryV32Family: ModelFamily = {
    id: "functionary-v3.2",
    name: "Functionary v3.2 (>>>recipient)",
    reasons: false,
    detect: (template) => template.includes(">>>") && template.includes("<|start_header_id|>"),
    endTokens: ["<|eot_id|>"],
    parse: readV32,
    callGrammar: { open: "", separator: ">>>", close: "", call: (name) => ({ before: `${name}\n`, after: "" }) }
};
