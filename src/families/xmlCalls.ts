/**
 * Families whose calls are XML-like, with each parameter's value written bare (typed by the tool's schema):
 * Qwen3-Coder (`<tool_call>\n<function=name>\n<parameter=key>\nvalue\n</parameter>\n</function>\n</tool_call>`),
 * Seed-OSS (the same inside `<seed:tool_call>`, with `<seed:think>` reasoning), MiniMax M2
 * (`<minimax:tool_call>\n<invoke name="name">\n<parameter name="key">value</parameter>\n</invoke>`) and GLM 4.5/4.6
 * (`<tool_call>name\n<arg_key>key</arg_key>\n<arg_value>value</arg_value>\n</tool_call>`).
 */
import type { CallGrammarShape, ModelFamily, ParsedCall } from "./ModelFamily.js";
import { afterReasoning, argumentsFromParameters, contentAndCalls, parameterValueJson, skipWhitespace, type CallsReader } from "./parsing.js";
import { thinkMarkers } from "./hermes.js";

type XmlCallSyntax = {
    /** Markers that open a block of calls (the first call's may be missing, as Qwen3-Coder sometimes does). */
    blockOpen: string[];
    blockClose: string;
    /** The call's opening, capturing its name; matched right at the position. */
    invoke: RegExp;
    invokeClose: string | null;
    /** A parameter's opening, capturing its key. */
    parameter: RegExp;
    parameterClose: string;
    /** Newlines around values that are layout, not value. */
    trimValue: boolean;
    /** The first call may come without the block's opening marker. */
    invokeWithoutBlock?: boolean;
};

function at(pattern: RegExp, text: string, index: number): RegExpExecArray | null {
    const sticky = new RegExp(pattern.source, "y");
    sticky.lastIndex = index;
    return sticky.exec(text);
}

function xmlCalls(syntax: XmlCallSyntax): CallsReader {
    return (text, from, context) => {
        const calls: ParsedCall[] = [];
        let index = from;
        let inBlock = false;
        for (;;) {
            index = skipWhitespace(text, index);
            if (index >= text.length) return { calls, end: -1, valid: true };
            const open = syntax.blockOpen.find((marker) => text.startsWith(marker, index));
            if (open !== undefined) {
                index += open.length;
                inBlock = true;
                continue;
            }
            if (text.startsWith(syntax.blockClose, index) && (inBlock || calls.length > 0)) {
                index += syntax.blockClose.length;
                inBlock = false;
                continue;
            }
            const invoke = inBlock || (syntax.invokeWithoutBlock && calls.length === 0) ? at(syntax.invoke, text, index) : null;
            if (invoke === null) {
                // An opening still being written.
                const rest = text.slice(index);
                if (context.partial && (rest.startsWith("<") || inBlock) && !rest.includes("\n")) return { calls, end: -1, valid: true };
                if (inBlock && !context.partial) return { calls, end: text.length, valid: calls.length > 0 };
                return { calls, end: index, valid: calls.length > 0 };
            }
            const name = invoke[1]!.trim();
            index = invoke.index + invoke[0].length;
            const parameters: Array<[string, string]> = [];
            const call: ParsedCall = { name, arguments: "" };
            calls.push(call);
            for (;;) {
                index = skipWhitespace(text, index);
                const parameter = at(syntax.parameter, text, index);
                if (parameter === null) break;
                const valueStart = parameter.index + parameter[0].length;
                const valueEnd = text.indexOf(syntax.parameterClose, valueStart);
                if (valueEnd === -1) {
                    index = text.length;
                    break;
                }
                let value = text.slice(valueStart, valueEnd);
                if (syntax.trimValue) value = value.replace(/^\n/, "").replace(/\n$/, "");
                parameters.push([parameter[1]!.trim(), parameterValueJson(context.tools, name, parameter[1]!.trim(), value)]);
                index = valueEnd + syntax.parameterClose.length;
            }
            index = skipWhitespace(text, index);
            const closer = syntax.invokeClose ?? syntax.blockClose;
            const closed = text.startsWith(closer, index);
            const ended = !context.partial && index >= text.length;
            call.arguments = argumentsFromParameters(parameters, closed || ended);
            if (!closed) return { calls, end: -1, valid: true };
            index += syntax.invokeClose === null ? 0 : closer.length;
        }
    };
}

/** A forced call written with each argument as its own XML element (string values bare). */
function xmlGrammar(open: string, close: string, separator: string, call: (name: string) => { before: string; after: string },
    field: (key: string) => { before: string; after: string }): CallGrammarShape {
    // Every call starts with the block's opening marker: the call's own text or the run's opening.
    const trigger = /^<[^>\n]+>/.exec(open || call("x").before)![0];
    return { open, close, separator, call, trigger, fields: { field, separator: "", bareStrings: true } };
}

function xmlFamily(family: Omit<ModelFamily, "parse" | "reasons"> & { syntax: XmlCallSyntax; reasoning: [string, string] | null; callGrammar: CallGrammarShape }): ModelFamily {
    const calls = xmlCalls(family.syntax);
    const { syntax, reasoning, ...rest } = family;
    return {
        ...rest,
        reasons: reasoning !== null,
        ...(reasoning ? { reasoningMarkers: reasoning } : {}),
        parse: (text, context) => afterReasoning(text, context, reasoning,
            (answer) => contentAndCalls(answer, context, [...syntax.blockOpen, syntax.invoke.source.startsWith("<function=") ? "<function=" : syntax.blockOpen[0]!], calls)),
    };
}

export const qwen3CoderFamily = xmlFamily({
    id: "qwen3-coder",
    name: "Qwen3-Coder / Qwen3.5 / Nemotron 3 (<function=name><parameter=key>)",
    detect: (template) => template.includes("<function=") && template.includes("<parameter=") && template.includes("<tool_call>"),
    reasoning: null,
    syntax: { blockOpen: ["<tool_call>"], blockClose: "</tool_call>", invoke: /<function=([^>\n]+)>/, invokeClose: "</function>", parameter: /<parameter=([^>\n]+)>/, parameterClose: "</parameter>", trimValue: true, invokeWithoutBlock: true },
    callGrammar: xmlGrammar("", "", "\n", (name) => ({ before: `<tool_call>\n<function=${name}>\n`, after: "</function>\n</tool_call>" }),
        (key) => ({ before: `<parameter=${key}>\n`, after: "\n</parameter>\n" }))
});

export const qwen3CoderReasoningFamily: ModelFamily = {
    ...qwen3CoderFamily,
    id: "qwen3-coder-reasoning",
    name: "Qwen3.5 / Nemotron 3 (think + <function=name><parameter=key>)",
    reasons: true,
    reasoningMarkers: thinkMarkers,
    detect: (template) => qwen3CoderFamily.detect(template) && template.includes(thinkMarkers[0]),
    parse: (text, context) => afterReasoning(text, context, thinkMarkers, (answer) => qwen3CoderFamily.parse(answer, context))
};

export const seedOssFamily = xmlFamily({
    id: "seed-oss",
    name: "Seed-OSS (<seed:think>, <seed:tool_call>)",
    detect: (template) => template.includes("<seed:tool_call>"),
    reasoning: ["<seed:think>", "</seed:think>"],
    endTokens: ["<seed:eos>"],
    syntax: { blockOpen: ["<seed:tool_call>"], blockClose: "</seed:tool_call>", invoke: /<function=([^>\n]+)>/, invokeClose: "</function>", parameter: /<parameter=([^>\n]+)>/, parameterClose: "</parameter>", trimValue: true },
    callGrammar: xmlGrammar("", "", "\n", (name) => ({ before: `<seed:tool_call>\n<function=${name}>\n`, after: "</function>\n</seed:tool_call>" }),
        (key) => ({ before: `<parameter=${key}>`, after: "</parameter>\n" })),
    reasoningVariables: (effort) => (effort === "none" ? { thinking_budget: 0 } : {})
});

export const miniMaxFamily = xmlFamily({
    id: "minimax-m2",
    name: "MiniMax M2 (think, <minimax:tool_call><invoke>)",
    detect: (template) => template.includes("<minimax:tool_call>"),
    reasoning: thinkMarkers,
    syntax: { blockOpen: ["<minimax:tool_call>"], blockClose: "</minimax:tool_call>", invoke: /<invoke name="([^"]+)">/, invokeClose: "</invoke>", parameter: /<parameter name="([^"]+)">/, parameterClose: "</parameter>", trimValue: false },
    callGrammar: xmlGrammar("<minimax:tool_call>\n", "</minimax:tool_call>", "", (name) => ({ before: `<invoke name="${name}">\n`, after: "</invoke>\n" }),
        (key) => ({ before: `<parameter name="${key}">`, after: "</parameter>\n" }))
});

export const glmFamily = xmlFamily({
    id: "glm-4.5",
    name: "GLM 4.5 / 4.6 / 4.7 (think, <tool_call>name<arg_key>)",
    detect: (template) => template.includes("<arg_key>"),
    reasoning: thinkMarkers,
    endTokens: ["<|user|>", "<|observation|>"],
    syntax: { blockOpen: ["<tool_call>"], blockClose: "</tool_call>", invoke: /([^<\n]+)(?=\n|<)/, invokeClose: null, parameter: /<arg_key>([^<]*)<\/arg_key>\s*<arg_value>/, parameterClose: "</arg_value>", trimValue: false },
    callGrammar: xmlGrammar("", "", "\n", (name) => ({ before: `<tool_call>${name}\n`, after: "</tool_call>" }),
        (key) => ({ before: `<arg_key>${key}</arg_key>\n<arg_value>`, after: "</arg_value>\n" }))
});
