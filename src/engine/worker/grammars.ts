/**
 * Builds llama.cpp grammars for structured output and forced tool calls from node-llama-cpp's JSON-schema
 * grammar generator, and caches them by specification (compiling is the expensive part).
 */
import type { Llama, LlamaGrammar } from "node-llama-cpp";
import type { GrammarSpec } from "../protocol.js";

/**
 * node-llama-cpp's JSON grammars end by requiring four newlines (its chat code stops on them). Without that
 * tail the grammar is complete right after the JSON value, and llama.cpp then allows only end-of-generation
 * tokens, so generation ends exactly there.
 */
const trailingNewlines = / "\\n\\n\\n\\n" \[\\n\]\*$/m;

/**
 * Rules of node-llama-cpp's JSON grammars replaced so that the output always validates: its number rules allow exponents of up to 16 digits (`1E7777777` parses as Infinity) and give
 * integers exponents too (`5E-3` is no integer). These keep every number finite and every integer whole, so
 * the output always validates against the schema.
 */
const replacedRules: Record<string, string> = {
    "integer-number-rule": '"-"? ("0" | [1-9] [0-9]{0,15})',
    "fractional-number-rule": '"-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?',
    // Only Unicode scalar values: llama.cpp's grammar decodes surrogate and out-of-range byte sequences as one
    // character each, which would then decode as several U+FFFD and break maxLength.
    "string-char-rule": '[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E\\u0080-\\uD7FF\\uE000-\\U0010FFFF] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4}'
};

async function jsonRule(llama: Llama, schema: Record<string, unknown>, ruleName: string): Promise<string> {
    const generated = (await llama.createGrammarForJsonSchema(schema as never)).grammar;
    const lines = generated.split("\n").map((line) => {
        const name = line.split(" ::= ")[0]!;
        return replacedRules[name] === undefined ? line : `${name} ::= ${replacedRules[name]}`;
    });
    const rootIndex = lines.findIndex((line) => line.startsWith("root ::= "));
    if (rootIndex === -1) throw new Error("the generated JSON grammar has no root rule");
    lines[rootIndex] = lines[rootIndex]!.replace(trailingNewlines, "").replace(/^root ::= /, `${ruleName} ::= `);
    return lines.join("\n");
}

const gbnfLiteral = (text: string) => JSON.stringify(text);

/**
 * The most calls one forced answer may hold. A model that keeps choosing to add calls (weak or random models
 * do) would otherwise write calls until the context is full and lose the last one to truncation.
 */
export const maxParallelToolCalls = 16;

/** Renames a grammar's rules with a prefix (names outside string literals and character classes). */
export function prefixRules(grammar: string, prefix: string): string {
    const lines = grammar.split("\n").filter((line) => line.includes(" ::= "));
    const names = new Set(lines.map((line) => line.split(" ::= ")[0]!.trim()));
    const rename = (body: string) => body.replace(/"(?:[^"\\]|\\.)*"|\[(?:[^\]\\]|\\.)*\]|[a-zA-Z][a-zA-Z0-9-]*/g,
        (token) => (names.has(token) ? `${prefix}${token}` : token));
    return lines.map((line) => {
        const at = line.indexOf(" ::= ");
        return `${prefix}${line.slice(0, at).trim()} ::= ${rename(line.slice(at + 5))}`;
    }).join("\n");
}

/**
 * Fields joined by a separator: the required ones in order, then each optional one where the model writes it.
 * Without required fields, the first field written takes no separator.
 */
export function fieldSequence(fields: string[], optional: boolean[], separator: string): string {
    const required = fields.filter((_, index) => !optional[index]);
    const optionals = fields.filter((_, index) => optional[index]);
    if (required.length > 0) return [required.join(` ${separator}`), ...optionals.map((field) => `( ${separator}${field} )?`)].join(" ");
    if (optionals.length === 0) return "\"\"";
    if (separator === "") return optionals.map((field) => `( ${field} )?`).join(" ");
    const alternatives = optionals.map((field, index) => [field, ...optionals.slice(index + 1).map((next) => `( ${separator}${next} )?`)].join(" "));
    return `( ${alternatives.join(" | ")} )?`;
}

async function buildGrammarText(llama: Llama, spec: GrammarSpec): Promise<string> {
    if (spec.kind === "json") return (await jsonRule(llama, spec.schema, "root"));
    const rules: string[] = ["bare-text ::= [^<]*"];
    const calls: string[] = [];
    for (const [index, tool] of spec.tools.entries()) {
        if ("parameters" in tool) {
            rules.push(prefixRules(await jsonRule(llama, tool.parameters, "arguments"), `tool${index}-`));
            calls.push(`${gbnfLiteral(tool.before)} ${tool.beforeRule ?? ""} tool${index}-arguments ${gbnfLiteral(tool.after)} ${tool.afterRule ?? ""}`);
            continue;
        }
        const fields: string[] = [];
        for (const [fieldIndex, field] of tool.fields.entries()) {
            let value = "bare-text";
            if (!field.text) {
                const prefix = `tool${index}-field${fieldIndex}-`;
                rules.push(prefixRules(await jsonRule(llama, field.schema, "value"), prefix));
                value = `${prefix}value`;
            }
            fields.push(`${gbnfLiteral(field.before)} ${value} ${gbnfLiteral(field.after)}`);
        }
        const body = fieldSequence(fields, tool.fields.map((field) => field.optional), tool.fieldSeparator === "" ? "" : `${gbnfLiteral(tool.fieldSeparator)} `);
        calls.push(`${gbnfLiteral(tool.before)} ${body} ${gbnfLiteral(tool.after)}`);
    }
    const call = `call ::= ${calls.map((text) => `( ${text} )`).join(" | ")}`;
    const separator = spec.separator === "" ? "" : `${gbnfLiteral(spec.separator)} `;
    const repeated = spec.parallel ? ` ( ${separator}call ){0,${maxParallelToolCalls - 1}}` : "";
    const ends = (text: string) => (text === "" ? "" : `${gbnfLiteral(text)} `);
    return [`root ::= ${ends(spec.open)}call${repeated} ${ends(spec.close)}`.trimEnd(), call, ...rules].join("\n");
}

export class GrammarCache {
    private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

    constructor(private readonly llama: Llama) {}

    get(spec: GrammarSpec): Promise<LlamaGrammar> {
        const key = JSON.stringify(spec);
        let grammar = this.grammars.get(key);
        if (grammar === undefined) {
            grammar = buildGrammarText(this.llama, spec).then((text) => this.llama.createGrammar({ grammar: text }));
            grammar.catch(() => this.grammars.delete(key));
            this.grammars.set(key, grammar);
        }
        return grammar;
    }
}
