/**
 * What lmhost knows of one model family (Llama 3.x, gpt-oss, Mistral, Qwen3...): how to recognize it from its
 * chat template, what its template needs, which tokens end its turn, how it writes tool calls and reasoning
 * (read back by `parse`), and how to force a call in its own syntax. One file per family under `families/`;
 * `resolveFamily` picks one from the template text.
 */
import type { ToolDefinition } from "../services/chatPrompt.js";

/** One tool call as a family's parser reads it; `arguments` is JSON text (a prefix of it while partial). */
export type ParsedCall = { name: string; arguments: string; id?: string };

/** An assistant message read from the model's text: reasoning, the answer, and tool calls, in that order. */
export type ParsedMessage = { reasoning: string; content: string; calls: ParsedCall[] };

export type ParseContext = {
    /**
     * The text may continue: leave out anything that could still turn out to be markup (a partial marker, a
     * call whose name is not complete), so that every later parse only extends what this one returned.
     */
    partial: boolean;
    /** The prompt ended inside a reasoning block (`<think>\n` as the generation prompt). */
    startsInReasoning: boolean;
    /** Read tool calls (tools were offered); otherwise call markup is left as content. */
    readCalls: boolean;
    tools: ToolDefinition[];
    /** The token that ended the turn (`<|call|>`, `<|eom_id|>`), once the text is complete. */
    endToken: string | null;
};

/**
 * How a family writes each argument of a call on its own (XML-style parameters, Python keyword arguments): the
 * text around each argument's value (the call's own text is `call` of the shape), and between arguments; string values bare (`bareStrings`)
 * or as JSON strings.
 */
export type CallFieldsShape = {
    field(key: string): { before: string; after: string };
    separator: string;
    bareStrings: boolean;
};

/** A forced call in the family's own syntax: literal text around each call's JSON arguments. */
export type CallGrammarShape = {
    /** Before the first call. */
    open: string;
    /** Between two calls. */
    separator: string;
    /** After the last call. */
    close: string;
    /** Whether one answer may hold several calls (default true). */
    parallel?: boolean;
    /**
     * The text every call in this syntax starts with (`<tool_call>`, `[TOOL_CALLS]`): with `tool_choice: "auto"`,
     * the grammar applies from there on. Absent: calls under "auto" are not constrained.
     */
    trigger?: string;
    /** Text before and after one call's JSON arguments (and GBNF for parts that are not literal). */
    call(name: string): { before: string; after: string; beforeRule?: string; afterRule?: string };
    /** Instead of JSON arguments: each argument written on its own. */
    fields?: CallFieldsShape;
};

export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high";

export type ModelFamily = {
    /** Stable id, used in logs and docs: "llama3", "gpt-oss", "mistral-tekken"... */
    id: string;
    /** What users call it. */
    name: string;
    detect(template: string): boolean;
    /** Special tokens that end the turn besides the model's own end-of-generation tokens. */
    endTokens?: string[];
    /** Tokens the binding takes for an end of turn that are not one for this family (gpt-oss: `<|end|>`). */
    notEndTokens?: string[];
    parse(text: string, context: ParseContext): ParsedMessage;
    /** How forced calls are written in this family's syntax (the generic fallback: the `<tool_call>` convention). */
    callGrammar: CallGrammarShape;
    /** A fresh tool call id the family's template accepts (Mistral's are nine alphanumerics). */
    newCallId?(): string;
    /** The ids the family's template accepts; the renderer maps other ids onto this shape. */
    callIdPattern?: RegExp;
    /**
     * Template variables for a reasoning effort. Default: `enable_thinking: false` for "none", and
     * `reasoning_effort` passed as is.
     */
    reasoningVariables?(effort: ReasoningEffort): Record<string, unknown>;
    /** Appended to the rendered prompt when reasoning is turned off (DeepSeek R1: a closed think block). */
    promptSuffixWithoutReasoning?: (prompt: string) => string;
    /** Whether this family reasons (for docs and for `reasoning_content`). */
    reasons: boolean;
    /**
     * The markers around reasoning: to tell whether the prompt itself opened it, and to keep a lazy call grammar
     * from starting inside it.
     */
    reasoningMarkers?: [open: string, close: string];
};
