/**
 * Turns a family's whole-text parser into streaming events: after each piece of text the family parses all the
 * text so far (partial), and what grew since the last parse goes out as reasoning, content and tool-call deltas
 * (the way llama.cpp's server diffs its partial parses). Concatenated, the deltas are the final message.
 */
import { newToolCallId, type ParsedToolCall } from "./callIds.js";
import type { ModelFamily, ParseContext, ParsedMessage } from "./ModelFamily.js";

export type OutputEvent =
    | { type: "content"; text: string }
    | { type: "reasoning"; text: string }
    | { type: "toolCallStart"; index: number; id: string; name: string }
    | { type: "toolCallArguments"; index: number; text: string };

type StartedCall = { id: string; name: string; sentArguments: string };

export type OutputParserOptions = Omit<ParseContext, "partial" | "endToken">;

export class FamilyOutputParser {
    private text = "";
    private sentReasoning = "";
    private sentContent = "";
    private readonly started: StartedCall[] = [];
    private finalCalls: ParsedToolCall[] = [];

    constructor(private readonly family: ModelFamily, private readonly options: OutputParserOptions) {}

    get toolCalls(): ParsedToolCall[] {
        return this.finalCalls;
    }

    push(text: string): OutputEvent[] {
        if (text === "") return [];
        this.text += text;
        return this.diff(this.parse(true, null), true);
    }

    /** The text is complete; `endToken` is the token that ended the turn, if one did. */
    finish(endToken: string | null): OutputEvent[] {
        const events = this.diff(this.parse(false, endToken), false);
        this.finalCalls = this.started.map((call) => ({ id: call.id, name: call.name, arguments: call.sentArguments }));
        return events;
    }

    private parse(partial: boolean, endToken: string | null): ParsedMessage {
        return this.family.parse(this.text, { ...this.options, partial, endToken });
    }

    private diff(message: ParsedMessage, partial: boolean): OutputEvent[] {
        const events: OutputEvent[] = [];
        const grow = (sent: string, now: string) => (now.startsWith(sent) ? now.slice(sent.length) : "");
        const reasoning = grow(this.sentReasoning, message.reasoning);
        if (reasoning !== "") {
            events.push({ type: "reasoning", text: reasoning });
            this.sentReasoning += reasoning;
        }
        // Trailing whitespace waits while partial: markup that follows may swallow it.
        const contentNow = partial ? message.content.trimEnd() : message.content;
        const content = grow(this.sentContent, contentNow);
        if (content !== "") {
            events.push({ type: "content", text: content });
            this.sentContent += content;
        }
        message.calls.forEach((call, index) => {
            let started = this.started[index];
            if (started === undefined) {
                started = { id: call.id ?? this.family.newCallId?.() ?? newToolCallId(), name: call.name, sentArguments: "" };
                this.started.push(started);
                events.push({ type: "toolCallStart", index, id: started.id, name: started.name });
            }
            const more = grow(started.sentArguments, call.arguments);
            if (more !== "") {
                events.push({ type: "toolCallArguments", index, text: more });
                started.sentArguments += more;
            }
        });
        return events;
    }
}
