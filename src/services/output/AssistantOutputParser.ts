/**
 * Splits streamed assistant text into reasoning, content and tool calls, in that order of concern:
 * thinking comes first, and tool calls are looked for only in the answer.
 */
import { ReasoningSplitter } from "./reasoningSplitter.js";
import { ToolCallParser, type ParsedToolCall, type ToolCallEvent } from "./toolCallParser.js";

export type AssistantOutputEvent = ToolCallEvent | { type: "reasoning"; text: string };

export type OutputParsing = {
    /** Split `<think>` blocks off; `startsInside` when the prompt itself opened one. `null`: no reasoning. */
    reasoning: { startsInside: boolean } | null;
    toolCalls: boolean;
};

export class AssistantOutputParser {
    private readonly reasoning: ReasoningSplitter | null;
    private readonly tools: ToolCallParser | null;

    constructor(parsing: OutputParsing) {
        this.reasoning = parsing.reasoning ? new ReasoningSplitter(parsing.reasoning.startsInside) : null;
        this.tools = parsing.toolCalls ? new ToolCallParser() : null;
    }

    get toolCalls(): ParsedToolCall[] {
        return this.tools?.calls ?? [];
    }

    push(text: string): AssistantOutputEvent[] {
        return this.route(this.reasoning ? this.reasoning.push(text) : [{ type: "content", text }], false);
    }

    finish(): AssistantOutputEvent[] {
        return this.route(this.reasoning ? this.reasoning.finish() : [], true);
    }

    private route(pieces: Array<{ type: "reasoning" | "content"; text: string }>, finishing: boolean): AssistantOutputEvent[] {
        const events: AssistantOutputEvent[] = [];
        for (const piece of pieces) {
            if (piece.type === "reasoning") events.push(piece);
            else if (this.tools) events.push(...this.tools.push(piece.text));
            else if (piece.text !== "") events.push(piece);
        }
        if (finishing && this.tools) events.push(...this.tools.finish());
        return events;
    }
}
