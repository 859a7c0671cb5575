/**
 * Mistral's tool-call tokens. Nemo: `[TOOL_CALLS][{"name": ..., "arguments": {...}, "id": "..."}, ...]`.
 * Small 3.2, Devstral, Magistral and Ministral 3 (the Tekken templates with `[ARGS]`): each call is
 * `[TOOL_CALLS]name[CALL_ID]id[ARGS]{...}` (the id where the template has `[CALL_ID]`), and reasoning is
 * `[THINK]...[/THINK]`. Their templates accept only nine-character alphanumeric call ids.
 */
import { newAlphanumericCallId } from "./callIds.js";
import type { ModelFamily, ParsedCall } from "./ModelFamily.js";
import { afterReasoning, argumentsEntry, contentAndCalls, jsonObjectCall, jsonValueEnd, listCalls, skipWhitespace, type CallsReader } from "./parsing.js";

const toolCalls = "[TOOL_CALLS]";
const callIdRule = "[a-zA-Z0-9]{9}";

const nemoCalls = listCalls(toolCalls, (text, index, context) =>
    jsonObjectCall(text, index, !context.partial, { name: ["name"], arguments: ["arguments", "parameters"], id: ["id"] }));

const tekkenCalls: CallsReader = (text, from, context) => {
    const calls: ParsedCall[] = [];
    let index = from;
    while (text.startsWith(toolCalls, index)) {
        const nameStart = index + toolCalls.length;
        const args = text.indexOf("[ARGS]", nameStart);
        if (args === -1) return { calls, end: -1, valid: true };
        const header = text.slice(nameStart, args);
        const [name, id] = header.split("[CALL_ID]") as [string, string | undefined];
        const valueStart = args + "[ARGS]".length;
        const valueEnd = jsonValueEnd(text, valueStart, !context.partial);
        const call: ParsedCall = {
            name: name.trim(),
            arguments: argumentsEntry(text, { start: skipWhitespace(text, valueStart), end: valueEnd }, valueEnd !== -1)
        };
        if (id !== undefined && id.trim() !== "") call.id = id.trim();
        calls.push(call);
        if (valueEnd === -1) return { calls, end: -1, valid: true };
        index = skipWhitespace(text, valueEnd);
    }
    if (context.partial && index < text.length && toolCalls.startsWith(text.slice(index))) return { calls, end: -1, valid: true };
    return { calls, end: index, valid: true };
};

export const mistralTekkenFamily: ModelFamily = {
    id: "mistral-tekken",
    name: "Mistral Small 3.2 / Devstral / Magistral / Ministral 3 ([TOOL_CALLS]name[ARGS]{...}, [THINK])",
    reasons: true,
    reasoningMarkers: ["[THINK]", "[/THINK]"],
    detect: (template) => template.includes(toolCalls) && template.includes("[ARGS]"),
    parse: (text, context) => afterReasoning(text, context, ["[THINK]", "[/THINK]"], (rest) => contentAndCalls(rest, context, [toolCalls], tekkenCalls)),
    newCallId: newAlphanumericCallId,
    callIdPattern: /^[a-zA-Z0-9]{9}$/,
    callGrammar: {
        open: "", separator: "", close: "", trigger: toolCalls,
        // Small 3.2 writes a call id before the arguments; Devstral and Magistral do not.
        call: (name) => ({ before: `${toolCalls}${name}`, beforeRule: `( "[CALL_ID]" ${callIdRule} )? "[ARGS]"`, after: "" })
    }
};

export const mistralNemoFamily: ModelFamily = {
    id: "mistral-nemo",
    name: "Mistral Nemo / Mistral 7B v0.3 ([TOOL_CALLS][{...}])",
    reasons: false,
    detect: (template) => template.includes(toolCalls),
    parse: (text, context) => contentAndCalls(text, context, [toolCalls], nemoCalls),
    newCallId: newAlphanumericCallId,
    callIdPattern: /^[a-zA-Z0-9]{9}$/,
    callGrammar: {
        open: `${toolCalls}[`, separator: ", ", close: "]", trigger: toolCalls,
        call: (name) => ({ before: `{"name": ${JSON.stringify(name)}, "arguments": `, after: "", afterRule: `( ", \\"id\\": \\"" ${callIdRule} "\\"" )? "}"` })
    }
};
