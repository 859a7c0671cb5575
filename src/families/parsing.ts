/**
 * Building blocks for the families' output parsers. Each parser reads the whole text so far; while the text is
 * partial, anything that could still become markup is held back, so each parse extends the previous one.
 */
import type { ToolDefinition } from "../services/chatPrompt.js";
import type { ParseContext, ParsedCall, ParsedMessage } from "./ModelFamily.js";

/** Length of the longest end of `text` that is a proper prefix of one of `markers`. */
export function partialMarkerLength(text: string, markers: string[]): number {
    let longest = 0;
    for (const marker of markers) {
        for (let length = Math.min(marker.length - 1, text.length); length > longest; length--) {
            if (text.endsWith(marker.slice(0, length))) {
                longest = length;
                break;
            }
        }
    }
    return longest;
}

/** `text` less an unfinished marker at its end, while the text is partial. */
export function withoutPartialMarker(text: string, markers: string[], partial: boolean): string {
    return partial ? text.slice(0, text.length - partialMarkerLength(text, markers)) : text;
}

/** The first of `markers` in `text` from `from`: its index and which one, or null. */
export function findFirst(text: string, markers: string[], from = 0): { index: number; marker: string } | null {
    let best: { index: number; marker: string } | null = null;
    for (const marker of markers) {
        const index = text.indexOf(marker, from);
        if (index !== -1 && (best === null || index < best.index)) best = { index, marker };
    }
    return best;
}

const whitespace = /\s/;

export function skipWhitespace(text: string, from: number): number {
    let index = from;
    while (index < text.length && whitespace.test(text[index]!)) index++;
    return index;
}

/**
 * Where the JSON value starting at `from` (after whitespace) ends, exclusive; -1 while it is incomplete.
 * `complete`: the text will not grow, so a number or literal running to its end is whole.
 */
export function jsonValueEnd(text: string, from: number, complete: boolean): number {
    const start = skipWhitespace(text, from);
    if (start >= text.length) return -1;
    const first = text[start]!;
    if (first === "{" || first === "[" || first === "\"") {
        let depth = 0;
        let inString = false;
        let escaped = false;
        for (let index = start; index < text.length; index++) {
            const character = text[index]!;
            if (inString) {
                if (escaped) escaped = false;
                else if (character === "\\") escaped = true;
                else if (character === "\"") {
                    inString = false;
                    if (depth === 0) return index + 1;
                }
            } else if (character === "\"") inString = true;
            else if (character === "{" || character === "[") depth++;
            else if (character === "}" || character === "]") {
                depth--;
                if (depth === 0) return index + 1;
                if (depth < 0) return -1;
            }
        }
        return -1;
    }
    const literal = /^(?:-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/.exec(text.slice(start, start + 64));
    if (literal === null) return -1;
    const end = start + literal[0].length;
    return end === text.length && !complete ? -1 : end;
}

export type JsonEntry = { start: number; end: number };

/**
 * The top-level entries of the JSON object starting at `from`: each key with its raw value's range (`end` -1
 * while the value is incomplete). `end`: after the closing brace, -1 while open; null if no object starts there.
 */
export function objectEntries(text: string, from: number, complete: boolean): { entries: Map<string, JsonEntry>; start: number; end: number } | null {
    const start = skipWhitespace(text, from);
    if (text[start] !== "{") return null;
    const entries = new Map<string, JsonEntry>();
    let index = start + 1;
    for (;;) {
        index = skipWhitespace(text, index);
        if (index >= text.length) return { entries, start, end: -1 };
        if (text[index] === "}") return { entries, start, end: index + 1 };
        if (text[index] === ",") {
            index++;
            continue;
        }
        const keyEnd = jsonValueEnd(text, index, complete);
        if (keyEnd === -1 || text[index] !== "\"") return keyEnd === -1 ? { entries, start, end: -1 } : null;
        const key = JSON.parse(text.slice(index, keyEnd)) as unknown;
        index = skipWhitespace(text, keyEnd);
        if (index >= text.length) return { entries, start, end: -1 };
        if (text[index] !== ":") return null;
        const valueStart = skipWhitespace(text, index + 1);
        if (valueStart >= text.length) return { entries, start, end: -1 };
        const valueEnd = jsonValueEnd(text, valueStart, complete);
        if (typeof key === "string") entries.set(key, { start: valueStart, end: valueEnd });
        if (valueEnd === -1) return { entries, start, end: -1 };
        index = valueEnd;
    }
}

/** A JSON string value's text, or null if the entry is absent, incomplete or not a string. */
export function stringEntry(text: string, entry: JsonEntry | undefined): string | null {
    if (entry === undefined || entry.end === -1 || text[entry.start] !== "\"") return null;
    return JSON.parse(text.slice(entry.start, entry.end)) as string;
}

/**
 * Raw JSON arguments: the value's text as generated (a prefix of it while incomplete, so that it streams).
 * A string value (arguments JSON-encoded in a string) counts once whole, decoded.
 */
export function argumentsEntry(text: string, entry: JsonEntry | undefined, objectComplete: boolean): string {
    if (entry === undefined) return objectComplete ? "{}" : "";
    if (text[entry.start] === "\"") return entry.end === -1 ? "" : (JSON.parse(text.slice(entry.start, entry.end)) as string);
    if (text[entry.start] !== "{" && text[entry.start] !== "[") return entry.end === -1 ? "" : text.slice(entry.start, entry.end);
    return text.slice(entry.start, entry.end === -1 ? text.length : entry.end);
}

/**
 * A call written as a JSON object, `{"name": ..., "arguments": {...}}` (key names per family), starting at
 * `from`. Returns the call once its name is complete, and where the object ends (-1 while open).
 */
export function jsonObjectCall(text: string, from: number, complete: boolean, keys: { name: string[]; arguments: string[]; id?: string[] } = { name: ["name"], arguments: ["arguments", "parameters"] }):
    { call: ParsedCall | null; end: number } | null {
    const object = objectEntries(text, from, complete);
    if (object === null) return null;
    const pick = (names: string[]) => names.map((name) => object.entries.get(name)).find((entry) => entry !== undefined);
    const name = stringEntry(text, pick(keys.name));
    if (name === null) return { call: null, end: object.end };
    const id = keys.id ? stringEntry(text, pick(keys.id)) : null;
    const call: ParsedCall = { name, arguments: argumentsEntry(text, pick(keys.arguments), object.end !== -1) };
    if (id !== null) call.id = id;
    return { call, end: object.end };
}

/** Reasoning in `open ... close` at the start of the text (or from the start, when the prompt opened it). */
export function leadingReasoning(text: string, open: string, close: string, context: Pick<ParseContext, "partial" | "startsInReasoning">):
    { reasoning: string; rest: string; restStart: number } {
    let bodyStart: number;
    if (context.startsInReasoning) bodyStart = 0;
    else {
        const start = skipWhitespace(text, 0);
        if (text.startsWith(open, start)) bodyStart = start + open.length;
        else if (context.partial && open.startsWith(text.slice(start))) return { reasoning: "", rest: "", restStart: text.length };
        else return { reasoning: "", rest: text, restStart: 0 };
    }
    const end = text.indexOf(close, bodyStart);
    if (end === -1) {
        return { reasoning: trimReasoning(withoutPartialMarker(text.slice(bodyStart), [close], context.partial), context.partial), rest: "", restStart: text.length };
    }
    const restStart = skipWhitespace(text, end + close.length);
    return { reasoning: trimReasoning(text.slice(bodyStart, end), false), rest: text.slice(restStart), restStart };
}

/** Reasoning without the blank lines that open and close it; while partial, trailing whitespace waits. */
function trimReasoning(text: string, partial: boolean): string {
    const start = text.replace(/^\s+/, "");
    return partial ? start.replace(/\s+$/, "") : start.trimEnd();
}

/** Content before markup that follows it: the text, trimmed at its end. */
export const contentBefore = (text: string) => text.trimEnd();

/** One tool's declared JSON type for a parameter, for formats that write values without JSON quoting. */
function parameterType(tools: ToolDefinition[], toolName: string, parameter: string): string | null {
    const tool = tools.find((candidate) => candidate.name === toolName);
    const properties = (tool?.parameters as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
    const type = properties?.[parameter]?.type;
    return typeof type === "string" ? type : null;
}

/**
 * A parameter written as bare text (XML-style formats): a JSON value per the tool's schema, as text. Strings stay
 * strings; other types are read as JSON when they parse.
 */
export function parameterValueJson(tools: ToolDefinition[], toolName: string, parameter: string, raw: string): string {
    const type = parameterType(tools, toolName, parameter);
    if (type === "string") return JSON.stringify(raw);
    try {
        JSON.parse(raw);
        return raw.trim();
    } catch {
        return JSON.stringify(raw);
    }
}

/**
 * JSON arguments from completed key/value parameters. While the call is open, the closing brace is left off,
 * so that the text only ever grows.
 */
export function argumentsFromParameters(parameters: Array<[key: string, valueJson: string]>, closed: boolean): string {
    const body = parameters.map(([key, value]) => `${JSON.stringify(key)}: ${value}`).join(", ");
    if (closed) return `{${body}}`;
    return parameters.length === 0 ? "" : `{${body}`;
}

/** A message with no reasoning and no calls. */
export const contentOnly = (content: string): ParsedMessage => ({ reasoning: "", content, calls: [] });

/** Content held back while partial: trailing whitespace and an unfinished marker wait for what follows. */
export function settledContent(text: string, markers: string[], partial: boolean): string {
    return withoutPartialMarker(text, markers, partial);
}

/** Reasoning in `open ... close` first, then the rest read by `answer`. */
export function afterReasoning(text: string, context: ParseContext, markers: [open: string, close: string] | null,
    answer: (rest: string) => ParsedMessage): ParsedMessage {
    if (markers === null) return answer(text);
    const { reasoning, rest } = leadingReasoning(text, markers[0], markers[1], context);
    const message = answer(rest);
    return { ...message, reasoning: reasoning + message.reasoning };
}

export type CallsReader = (text: string, from: number, context: ParseContext) => { calls: ParsedCall[]; end: number; valid: boolean };

/**
 * Content, then a run of calls starting at the first `start` marker, read by `readCalls` (which says where they
 * end, -1 while open). Text after the calls is content too. With calls not read, everything is content.
 */
export function contentAndCalls(text: string, context: ParseContext, start: string[], readCalls: CallsReader): ParsedMessage {
    if (!context.readCalls) return contentOnly(text);
    const found = findFirst(text, start);
    if (found === null) return contentOnly(withoutPartialMarker(text, start, context.partial));
    const before = contentBefore(text.slice(0, found.index));
    const { calls, end, valid } = readCalls(text, found.index, context);
    if (!valid) return contentOnly(context.partial ? before : text);
    if (end === -1) return { reasoning: "", content: before, calls };
    const after = text.slice(end).trim();
    const content = after === "" ? before : [before, withoutPartialMarker(after, start, context.partial)].filter(Boolean).join("\n");
    return { reasoning: "", content, calls };
}

/**
 * Calls each wrapped in `open ... close` markers (`<tool_call>{...}</tool_call>`), possibly several in a row; the
 * body of each is read by `body` (a JSON object by default). A last call missing its close marker counts when
 * the text ends.
 */
export function wrappedCalls(open: string, close: string,
    body: (text: string, from: number, context: ParseContext) => { call: ParsedCall | null; end: number } | null = (text, from, context) => jsonObjectCall(text, from, !context.partial)): CallsReader {
    return (text, from, context) => {
        const calls: ParsedCall[] = [];
        let position = from;
        for (;;) {
            const read = body(text, position + open.length, context);
            if (read === null) return { calls, end: -1, valid: calls.length > 0 || context.partial };
            // A whole object without a name is no call: the text stays content.
            if (read.call === null && read.end !== -1) return { calls, end: -1, valid: calls.length > 0 };
            if (read.call !== null) calls.push(read.call);
            if (read.end === -1) return { calls, end: -1, valid: true };
            let next = skipWhitespace(text, read.end);
            if (text.startsWith(close, next)) next += close.length;
            else if (context.partial && next < text.length && close.startsWith(text.slice(next))) return { calls, end: -1, valid: true };
            const following = skipWhitespace(text, next);
            if (text.startsWith(open, following)) {
                position = following;
                continue;
            }
            if (context.partial && following < text.length && open.startsWith(text.slice(following))) return { calls, end: -1, valid: true };
            if (context.partial && following >= text.length) return { calls, end: -1, valid: true };
            return { calls, end: next, valid: true };
        }
    };
}

/** A Python literal (what `name(key=value)` calls hold) as JSON text, or null if it is none. */
export function pythonLiteralJson(raw: string): string | null {
    const value = raw.trim();
    if (value === "True") return "true";
    if (value === "False") return "false";
    if (value === "None") return "null";
    if (/^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(value)) return value;
    if (/^"(?:[^"\\]|\\.)*"$/s.test(value)) return value;
    if (/^'(?:[^'\\]|\\.)*'$/s.test(value)) return JSON.stringify(value.slice(1, -1).replace(/\\'/g, "'").replace(/\\\\/g, "\\"));
    try {
        JSON.parse(value);
        return value;
    } catch {
        return null;
    }
}

/** Where a Python-style argument list ends (its closing parenthesis), honouring strings and nesting; -1 if open. */
export function closingParenthesis(text: string, from: number): number {
    let depth = 0;
    let quote: string | null = null;
    for (let index = from; index < text.length; index++) {
        const character = text[index]!;
        if (quote !== null) {
            if (character === "\\") index++;
            else if (character === quote) quote = null;
        } else if (character === "\"" || character === "'") quote = character;
        else if (character === "(" || character === "[" || character === "{") depth++;
        else if (character === ")" || character === "]" || character === "}") {
            if (depth === 0) return index;
            depth--;
        }
    }
    return -1;
}

/** `key=value, ...` (Python keyword arguments) as JSON arguments; null if they do not read. */
export function pythonKeywordArguments(text: string): string | null {
    const parameters: Array<[string, string]> = [];
    let index = skipWhitespace(text, 0);
    while (index < text.length) {
        const key = /^(\w+)\s*=\s*/.exec(text.slice(index));
        if (key === null) return null;
        index += key[0].length;
        let end = index;
        let depth = 0;
        let quote: string | null = null;
        for (; end < text.length; end++) {
            const character = text[end]!;
            if (quote !== null) {
                if (character === "\\") end++;
                else if (character === quote) quote = null;
            } else if (character === "\"" || character === "'") quote = character;
            else if ("([{".includes(character)) depth++;
            else if (")]}".includes(character)) depth--;
            else if (character === "," && depth === 0) break;
        }
        const value = pythonLiteralJson(text.slice(index, end));
        if (value === null) return null;
        parameters.push([key[1]!, value]);
        index = skipWhitespace(text, end + 1);
    }
    return argumentsFromParameters(parameters, true);
}

/** `[item, item, ...]` after `marker` (then `closing`, if any), each item read by `call`. */
export function listCalls(marker: string, call: (text: string, index: number, context: ParseContext) => { call: ParsedCall | null; end: number } | null, closing = ""): CallsReader {
    return (text, from, context) => {
        const calls: ParsedCall[] = [];
        let index = skipWhitespace(text, from + marker.length);
        if (index >= text.length) return { calls, end: -1, valid: true };
        if (text[index] !== "[") return { calls, end: -1, valid: false };
        index++;
        for (;;) {
            index = skipWhitespace(text, index);
            if (index >= text.length) return { calls, end: -1, valid: true };
            if (text[index] === "]") {
                const after = skipWhitespace(text, index + 1);
                if (closing !== "" && text.startsWith(closing, after)) return { calls, end: after + closing.length, valid: true };
                if (closing !== "" && context.partial && closing.startsWith(text.slice(after))) return { calls, end: -1, valid: true };
                return { calls, end: index + 1, valid: true };
            }
            if (text[index] === ",") {
                index++;
                continue;
            }
            const read = call(text, index, context);
            if (read === null) return { calls, end: -1, valid: calls.length > 0 || context.partial };
            if (read.call) calls.push(read.call);
            if (read.end === -1) return { calls, end: -1, valid: true };
            index = read.end;
        }
    };
}

