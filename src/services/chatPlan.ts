/**
 * Turns a chat request into what the engine runs and how its output is read, for the model's family: the
 * rendered prompt (reasoning switches and template variables applied), the grammar of a forced call in the
 * family's own syntax or of structured output, and the family parser's settings.
 */
import type { CallGrammar, GrammarSpec, LazyGrammarSpec } from "../engine/protocol.js";
import { jsonSchemaGrammar, objectProperties, UnsupportedSchema, type SchemaGrammarOptions } from "../engine/jsonSchemaGrammar.js";
import { InvalidRequest } from "../errors.js";
import type { OutputParserOptions } from "../families/FamilyOutputParser.js";
import type { CallFieldsShape, CallGrammarShape, ModelFamily, ReasoningEffort } from "../families/ModelFamily.js";
import { resolveFamily } from "../families/resolveFamily.js";
import { renderChatPrompt, type TemplateSource } from "./chatPrompt.js";
import type { ChatRequest, ResponseFormat } from "./InferenceService.js";

/**
 * Grammars of schemas seen lately: clients send the same tools and formats with every request, and a conversion
 * walks the whole schema. Only successes are kept; the oldest go first.
 */
const recentGrammars = new Map<string, string>();
const recentGrammarsKept = 256;

/** The GBNF of a request's schema; a schema no grammar enforces is the request's fault, named by `param`. */
function schemaGrammar(schema: unknown, param: string, options: SchemaGrammarOptions = {}): string {
    const key = JSON.stringify([schema, options]);
    const known = recentGrammars.get(key);
    if (known !== undefined) return known;
    try {
        const grammar = jsonSchemaGrammar(schema, options);
        recentGrammars.set(key, grammar);
        if (recentGrammars.size > recentGrammarsKept) recentGrammars.delete(recentGrammars.keys().next().value!);
        return grammar;
    } catch (error) {
        if (error instanceof UnsupportedSchema) throw new InvalidRequest(`Invalid schema for '${param}': ${error.message}.`, param, "unsupported_schema");
        throw error;
    }
}

const anyObjectGrammar = jsonSchemaGrammar({ type: "object", additionalProperties: true });

export function responseFormatGrammar(format: ResponseFormat): GrammarSpec | null {
    if (format.type === "json_object") return { kind: "json", grammar: anyObjectGrammar };
    if (format.type === "json_schema") return { kind: "json", grammar: schemaGrammar(format.schema, "response_format.json_schema.schema") };
    return null;
}

/** Forced tool calls: `required` (any tool) or a named tool, written in the model family's own call syntax. */
function toolChoiceGrammar(request: ChatRequest, shape: CallGrammarShape): GrammarSpec | null {
    const { toolChoice, tools } = request;
    if (toolChoice === "none" || toolChoice === "auto") return null;
    const chosen = toolChoice === "required" ? tools : tools.filter((tool) => tool.name === toolChoice.name);
    if (chosen.length === 0) {
        throw new InvalidRequest(typeof toolChoice === "object"
            ? `tool_choice names the function '${toolChoice.name}', which is not among the tools.`
            : "tool_choice 'required' needs at least one tool.", "tool_choice");
    }
    return {
        kind: "toolCalls",
        open: shape.open,
        separator: shape.separator,
        close: shape.close,
        parallel: request.parallelToolCalls && toolChoice === "required" && shape.parallel !== false,
        tools: chosen.map((tool) => {
            const param = `tools[${tools.indexOf(tool)}].function.parameters`;
            const parameters = tool.parameters ?? { type: "object", properties: {} };
            return shape.fields ? fieldsGrammar(shape.call(tool.name), parameters, shape.fields, param)
                : { ...shape.call(tool.name), arguments: schemaGrammar(parameters, param, { rule: "arguments" }) };
        })
    };
}

/** A call whose arguments the family writes one by one: each property of the tool's schema as a field. */
function fieldsGrammar(call: { before: string; after: string }, parameters: unknown, shape: CallFieldsShape, param: string): CallGrammar {
    // The whole schema is checked, so that what it says beside its properties is refused or enforced too.
    schemaGrammar(parameters, param, { rule: "arguments" });
    const { properties, required } = objectProperties(parameters);
    return {
        ...call,
        fieldSeparator: shape.separator,
        fields: properties.map(([key, schema]) => {
            // As the family's parser reads them: a property of type "string" is bare text, anything else JSON.
            const bareString = shape.bareStrings && typeof schema === "object" && schema !== null && (schema as Record<string, unknown>)["type"] === "string";
            return {
                ...shape.field(key),
                grammar: schemaGrammar(schema, `${param}.properties.${key}`, { rule: "field", document: parameters, bareString }),
                optional: !required.has(key)
            };
        })
    };
}

/** Template variables for a reasoning effort: the family's own, else Qwen3's switch and the effort itself. */
function reasoningVariables(family: ModelFamily, effort: ReasoningEffort | null): Record<string, unknown> {
    // llama.cpp's server passes enable_thinking: true unless told otherwise; templates that read it (DeepSeek R1's
    // distills, Command R7B) otherwise render with thinking off.
    if (effort === null) return { enable_thinking: true };
    return family.reasoningVariables?.(effort) ?? { enable_thinking: effort !== "none", reasoning_effort: effort };
}

/** How a chat's output is read: by the model's family, and where the turn ends. */
export type OutputReading = { family: ModelFamily; parser: OutputParserOptions; split: boolean };

const thinkOpen = "<think>";


export type ChatPlan = { prompt: string; grammar: GrammarSpec | null; lazyGrammar: LazyGrammarSpec | null; reading: OutputReading };

/**
 * Under `tool_choice: "auto"`, the call grammar applies once the model writes its family's call marker. Tools whose
 * schemas a grammar cannot enforce leave calls unconstrained rather than failing a request that may not call.
 */
function lazyCallGrammar(request: ChatRequest, shape: CallGrammarShape, reasoning: LazyGrammarSpec["reasoning"]): ChatPlan["lazyGrammar"] {
    if (shape.trigger === undefined) return null;
    try {
        const grammar = toolChoiceGrammar({ ...request, toolChoice: "required" }, shape);
        return grammar === null ? null : { trigger: shape.trigger, grammar, reasoning };
    } catch (error) {
        if (error instanceof InvalidRequest) return null;
        throw error;
    }
}

export function planChat(header: TemplateSource, request: ChatRequest): ChatPlan {
    const family = resolveFamily(header.chatTemplate);
    const toolsActive = request.toolChoice !== "none" && request.tools.length > 0;
    const variables = { ...reasoningVariables(family, request.reasoningEffort), ...request.templateVariables };
    let prompt = renderChatPrompt(header, request.messages, toolsActive ? request.tools : [], { family, variables });
    const grammar = (toolsActive ? toolChoiceGrammar(request, family.callGrammar) : null) ?? responseFormatGrammar(request.responseFormat);
    const thinkingOff = request.reasoningEffort === "none" || variables["enable_thinking"] === false;
    // A thinking block the template always opens (DeepSeek R1's distills, MiniMax M2) is closed right away when
    // thinking is off, or when the output must be a call or structured output from its first token.
    if ((thinkingOff || grammar !== null) && family.reasons && prompt.trimEnd().endsWith(thinkOpen)) prompt = `${prompt.trimEnd()}\n</think>\n\n`;
    const markers = family.reasoningMarkers;
    const reading: OutputReading = {
        family,
        split: request.splitMessage,
        parser: { startsInReasoning: markers !== undefined && prompt.trimEnd().endsWith(markers[0]), readCalls: toolsActive, tools: request.tools }
    };
    const lazyGrammar = toolsActive && request.toolChoice === "auto" && grammar === null
        ? lazyCallGrammar(request, family.callGrammar, markers ? { open: markers[0], close: markers[1], startsInside: reading.parser.startsInReasoning } : null)
        : null;
    return { prompt, grammar, lazyGrammar, reading };
}
