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

/** Characters some family's markup or JSON structure starts or ends with. */
const structural = /[<>[\]{}|`"\\:,=\n\r｜>]/;
/** Tokens between full parses on the fast path. */
const reparseEvery = 32;

type StartedCall = { id: string; name: string; sentArguments: string };

export type OutputParserOptions = Omit<ParseContext, "partial" | "endToken">;

export class FamilyOutputParser {
    private text = "";
    private sentReasoning = "";
    private sentContent = "";
    private readonly started: StartedCall[] = [];
    private finalCalls: ParsedToolCall[] = [];
    /** Where the last token's text went whole, for the fast path; null: parse the next token. */
    private lastField: "reasoning" | "content" | number | null = null;
    private unparsed = 0;

    constructor(private readonly family: ModelFamily, private readonly options: OutputParserOptions) {}

    get toolCalls(): ParsedToolCall[] {
        return this.finalCalls;
    }

    push(text: string): OutputEvent[] {
        if (text === "") return [];
        this.text += text;
        // Fast path: plain words where the last token went wholly to one field go to the same field unparsed
        // (no family's markup can start or end inside them); a full parse still runs every so often, and it only
        // extends what was sent.
        if (this.lastField !== null && !structural.test(text) && !/\s$/.test(text) && ++this.unparsed < reparseEvery) {
            return [this.appendTo(this.lastField, text)];
        }
        this.unparsed = 0;
        const events = this.diff(this.parse(true, null), true);
        const only = events.length === 1 ? events[0]! : null;
        this.lastField = only !== null && only.type !== "toolCallStart" && only.text === text
            ? (only.type === "toolCallArguments" ? only.index : only.type)
            : null;
        return events;
    }

    private appendTo(field: "reasoning" | "content" | number, text: string): OutputEvent {
        if (field === "reasoning") {
            this.sentReasoning += text;
            return { type: "reasoning", text };
        }
        if (field === "content") {
            this.sentContent += text;
            return { type: "content", text };
        }
        this.started[field]!.sentArguments += text;
        return { type: "toolCallArguments", index: field, text };
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
