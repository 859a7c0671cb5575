/**
 * Llama 3.1 / 3.2 / 3.3: a call is the whole message, `{"name": ..., "parameters": {...}}`; built-in tools and
 * code go after `<|python_tag|>` (`brave_search.call(query="...")`, or Python for the code interpreter) and end
 * the turn with `<|eom_id|>`. One call per turn.
 */
import type { ModelFamily, ParseContext, ParsedMessage } from "./ModelFamily.js";
import { closingParenthesis, contentOnly, jsonObjectCall, pythonKeywordArguments, skipWhitespace, withoutPartialMarker } from "./parsing.js";

const pythonTag = "<|python_tag|>";

function builtinCall(body: string, context: ParseContext): ParsedMessage {
    const code = body.trim();
    const builtin = /^(\w+)\.call\(/.exec(code);
    if (builtin) {
        const close = closingParenthesis(code, builtin[0].length);
        if (close === -1) return { reasoning: "", content: "", calls: [] };
        const args = pythonKeywordArguments(code.slice(builtin[0].length, close));
        if (args !== null) return { reasoning: "", content: "", calls: [{ name: builtin[1]!, arguments: args }] };
    }
    if (code.startsWith("{")) {
        const read = jsonObjectCall(code, 0, !context.partial);
        if (read?.call) return { reasoning: "", content: "", calls: [read.call] };
        if (context.partial) return { reasoning: "", content: "", calls: [] };
    }
    // The code interpreter: the code itself is the call, whole once the turn ends.
    return context.partial ? { reasoning: "", content: "", calls: [] } : { reasoning: "", content: "", calls: [{ name: "python", arguments: JSON.stringify({ code }) }] };
}

export function readLlama3(text: string, context: ParseContext): ParsedMessage {
    if (!context.readCalls) return contentOnly(text);
    const tag = text.indexOf(pythonTag);
    if (tag !== -1) {
        const message = builtinCall(text.slice(tag + pythonTag.length), context);
        return { ...message, content: text.slice(0, tag).trim() };
    }
    const start = skipWhitespace(text, 0);
    if (text[start] !== "{") return contentOnly(withoutPartialMarker(text, [pythonTag], context.partial));
    const read = jsonObjectCall(text, start, !context.partial, { name: ["name"], arguments: ["parameters", "arguments"] });
    if (read === null) return contentOnly(context.partial ? "" : text);
    if (read.call === null) return contentOnly(context.partial && read.end === -1 ? "" : text);
    if (read.end !== -1 && text.slice(read.end).trim() !== "" && !text.slice(read.end).trim().startsWith(";")) return contentOnly(context.partial ? "" : text);
    return { reasoning: "", content: "", calls: [read.call] };
}

export const llama3Family: ModelFamily = {
    id: "llama3",
    name: "Llama 3.1 / 3.2 / 3.3 (JSON calls, <|python_tag|>, built-in tools)",
    reasons: false,
    detect: (template) => template.includes("<|start_header_id|>") && (template.includes(pythonTag) || template.includes("\"parameters\"") || template.includes("ipython")),
    endTokens: ["<|eot_id|>", "<|eom_id|>"],
    parse: readLlama3,
    callGrammar: {
        open: "", separator: "", close: "", parallel: false, trigger: "{\"name\"",
        call: (name) => ({ before: `{"name": ${JSON.stringify(name)}, "parameters": `, after: "}" })
    }
};
