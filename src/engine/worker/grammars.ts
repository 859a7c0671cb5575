/**
 * Builds llama.cpp grammars for structured output and forced tool calls from the GBNF of their JSON parts
 * (jsonSchemaGrammar's, made by the server), and caches them by specification (compiling is the expensive part).
 */
import type { Llama, LlamaGrammar } from "node-llama-cpp";
import type { GrammarSpec } from "../protocol.js";

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

function buildGrammarText(spec: GrammarSpec): string {
    if (spec.kind === "json") return spec.grammar;
    const rules: string[] = [];
    const calls: string[] = [];
    for (const [index, tool] of spec.tools.entries()) {
        if ("arguments" in tool) {
            rules.push(prefixRules(tool.arguments, `tool${index}-`));
            calls.push(`${gbnfLiteral(tool.before)} ${tool.beforeRule ?? ""} tool${index}-arguments ${gbnfLiteral(tool.after)} ${tool.afterRule ?? ""}`);
            continue;
        }
        const fields: string[] = [];
        for (const [fieldIndex, field] of tool.fields.entries()) {
            const prefix = `tool${index}-field${fieldIndex}-`;
            rules.push(prefixRules(field.grammar, prefix));
            fields.push(`${gbnfLiteral(field.before)} ${prefix}field ${gbnfLiteral(field.after)}`);
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
            grammar = this.llama.createGrammar({ grammar: buildGrammarText(spec) });
            grammar.catch(() => this.grammars.delete(key));
            this.grammars.set(key, grammar);
        }
        return grammar;
    }
}
