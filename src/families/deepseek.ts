/**
 * DeepSeek R1 (and its Llama/Qwen distills) and DeepSeek V3.1: reasoning until `</think>` (the prompt opens the
 * block), then calls between `<｜tool▁calls▁begin｜>` and `<｜tool▁calls▁end｜>`. R1 writes each as
 * `<｜tool▁call▁begin｜>function<｜tool▁sep｜>name\n```json\n{...}\n```<｜tool▁call▁end｜>`; V3.1 as
 * `<｜tool▁call▁begin｜>name<｜tool▁sep｜>{...}<｜tool▁call▁end｜>`.
 */
import type { ModelFamily, ParsedCall, ReasoningEffort } from "./ModelFamily.js";
import { afterReasoning, argumentsEntry, contentAndCalls, jsonValueEnd, skipWhitespace, type CallsReader } from "./parsing.js";
import { thinkMarkers } from "./hermes.js";

const callsBegin = "<｜tool▁calls▁begin｜>";
const callsEnd = "<｜tool▁calls▁end｜>";
const callBegin = "<｜tool▁call▁begin｜>";
const callEnd = "<｜tool▁call▁end｜>";
const separator = "<｜tool▁sep｜>";

function deepSeekCalls(style: "r1" | "v3.1"): CallsReader {
    return (text, from, context) => {
        const calls: ParsedCall[] = [];
        let index = from + callsBegin.length;
        for (;;) {
            index = skipWhitespace(text, index);
            if (index >= text.length) return { calls, end: -1, valid: true };
            if (text.startsWith(callsEnd, index)) return { calls, end: index + callsEnd.length, valid: true };
            if (!text.startsWith(callBegin, index)) {
                if (context.partial && (callBegin.startsWith(text.slice(index)) || callsEnd.startsWith(text.slice(index)))) return { calls, end: -1, valid: true };
                return { calls, end: index, valid: calls.length > 0 };
            }
            const sep = text.indexOf(separator, index);
            if (sep === -1) return { calls, end: -1, valid: true };
            let name: string;
            let valueStart: number;
            if (style === "r1") {
                const newline = text.indexOf("\n", sep);
                if (newline === -1) return { calls, end: -1, valid: true };
                name = text.slice(sep + separator.length, newline).trim();
                valueStart = newline + 1;
                const fence = /^\s*```(?:json)?\s*/.exec(text.slice(valueStart));
                if (fence) valueStart += fence[0].length;
                else if (context.partial && "```json".startsWith(text.slice(valueStart).trim())) return { calls, end: -1, valid: true };
            } else {
                name = text.slice(index + callBegin.length, sep).trim();
                valueStart = sep + separator.length;
            }
            const valueEnd = jsonValueEnd(text, valueStart, !context.partial);
            calls.push({ name, arguments: argumentsEntry(text, { start: skipWhitespace(text, valueStart), end: valueEnd }, valueEnd !== -1) });
            if (valueEnd === -1) return { calls, end: -1, valid: true };
            index = valueEnd;
            const fenceClose = /^\s*```/.exec(text.slice(index));
            if (fenceClose) index += fenceClose[0].length;
            else if (context.partial && /^\s*`{0,2}$/.test(text.slice(index))) return { calls, end: -1, valid: true };
            index = skipWhitespace(text, index);
            if (text.startsWith(callEnd, index)) index += callEnd.length;
            else if (index >= text.length || (context.partial && callEnd.startsWith(text.slice(index)))) return { calls, end: -1, valid: true };
        }
    };
}

function deepSeekFamily(style: "r1" | "v3.1"): ModelFamily {
    const calls = deepSeekCalls(style);
    return {
        id: style === "r1" ? "deepseek-r1" : "deepseek-v3.1",
        name: style === "r1" ? "DeepSeek R1 and its distills (think, <｜tool▁calls▁begin｜>)" : "DeepSeek V3.1 (think, <｜tool▁call▁begin｜>name<｜tool▁sep｜>)",
        reasons: true,
        reasoningMarkers: thinkMarkers,
        detect: (template) => template.includes(callsBegin) && (style === "r1") === !/tool▁call▁begin｜>'\s*\+\s*tool\['function'\]\['name'\]/.test(template),
        parse: (text, context) => afterReasoning(text, context, thinkMarkers, (rest) => contentAndCalls(rest, context, [callsBegin], calls)),
        callGrammar: {
            open: callsBegin, separator: "\n", close: callsEnd, trigger: callsBegin,
            call: (name) => style === "r1"
                ? { before: `${callBegin}function${separator}${name}\n\`\`\`json\n`, after: `\n\`\`\`${callEnd}` }
                : { before: `${callBegin}${name}${separator}`, after: callEnd }
        },
        ...(style === "v3.1" ? { reasoningVariables: (effort: ReasoningEffort) => ({ thinking: effort !== "none" }) } : {})
    };
}

export const deepSeekV31Family = deepSeekFamily("v3.1");
export const deepSeekR1Family = deepSeekFamily("r1");
