/**
 * Finds tool calls in generated text written the Hermes/Qwen way, `<tool_call>{"name": ..., "arguments": {...}}
 * </tool_call>`, as the text streams in: text outside the calls comes out as content, each call as a start
 * (id and name, once the name is complete) followed by fragments of its arguments as they are generated.
 * The concatenated fragments are exactly the call's final `arguments` string.
 */
import { randomUUID } from "node:crypto";

export const toolCallOpen = "<tool_call>";
export const toolCallClose = "</tool_call>";

export type ParsedToolCall = { id: string; name: string; arguments: string };

export type ToolCallEvent =
    | { type: "content"; text: string }
    | { type: "toolCallStart"; index: number; id: string; name: string }
    | { type: "toolCallArguments"; index: number; text: string };

export const newToolCallId = () => `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

/** Length of the longest end of `text` that is a proper prefix of `marker`. */
export function partialMarkerLength(text: string, marker: string): number {
    for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
        if (text.endsWith(marker.slice(0, length))) return length;
    }
    return 0;
}

type OpenCall = {
    index: number;
    id: string;
    text: string;
    name: string | null;
    /** Where the arguments value starts in `text`, once `"arguments":` has been seen. */
    argumentsStart: number;
    /** Where the arguments value ends (exclusive), once it is complete. */
    argumentsEnd: number;
    /** How far arguments have been streamed. */
    streamedTo: number;
    scan: { position: number; depth: number; inString: boolean; escaped: boolean };
};

export class ToolCallParser {
    readonly calls: ParsedToolCall[] = [];
    private held = "";
    private open: OpenCall | null = null;

    push(text: string): ToolCallEvent[] {
        const events: ToolCallEvent[] = [];
        let buffer = this.held + text;
        this.held = "";
        while (buffer !== "") {
            if (this.open === null) {
                const start = buffer.indexOf(toolCallOpen);
                if (start === -1) {
                    const keep = partialMarkerLength(buffer, toolCallOpen);
                    this.emitContent(events, buffer.slice(0, buffer.length - keep));
                    this.held = buffer.slice(buffer.length - keep);
                    return events;
                }
                this.emitContent(events, buffer.slice(0, start));
                buffer = buffer.slice(start + toolCallOpen.length);
                this.open = {
                    index: this.calls.length, id: newToolCallId(), text: "", name: null, argumentsStart: -1, argumentsEnd: -1, streamedTo: -1,
                    scan: { position: -1, depth: 0, inString: false, escaped: false }
                };
                continue;
            }
            const call = this.open;
            const searchFrom = Math.max(0, call.text.length - toolCallClose.length);
            call.text += buffer;
            buffer = "";
            const end = call.text.indexOf(toolCallClose, searchFrom);
            if (end !== -1) {
                buffer = call.text.slice(end + toolCallClose.length);
                call.text = call.text.slice(0, end);
            }
            this.progress(call, events);
            if (end !== -1) this.close(call, events, true);
        }
        return events;
    }

    /** The text has ended: release held text, and accept a last call that lacks its closing tag if it parses. */
    finish(): ToolCallEvent[] {
        const events: ToolCallEvent[] = [];
        this.emitContent(events, this.held);
        this.held = "";
        if (this.open !== null) this.close(this.open, events, false);
        return events;
    }

    private emitContent(events: ToolCallEvent[], text: string): void {
        if (text !== "") events.push({ type: "content", text });
    }

    private progress(call: OpenCall, events: ToolCallEvent[]): void {
        if (call.name === null) {
            const match = /"name"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(call.text);
            if (match) {
                call.name = JSON.parse(`"${match[1]}"`) as string;
                events.push({ type: "toolCallStart", index: call.index, id: call.id, name: call.name });
            }
        }
        if (call.argumentsStart === -1) {
            // Only once the value has begun, so that whitespace still to come is not taken for its start.
            const match = /"arguments"\s*:\s*(?=\S)/.exec(call.text);
            if (match) call.argumentsStart = match.index + match[0].length;
        }
        if (call.argumentsStart !== -1 && call.argumentsEnd === -1) this.scanArguments(call);
        // A string value (arguments written as a JSON string) is sent whole once complete, decoded.
        if (call.name === null || call.argumentsStart === -1 || call.text[call.argumentsStart] === "\"") return;
        const from = Math.max(call.streamedTo, call.argumentsStart);
        const to = call.argumentsEnd === -1 ? call.scan.position : call.argumentsEnd;
        if (to > from) events.push({ type: "toolCallArguments", index: call.index, text: call.text.slice(from, to) });
        call.streamedTo = Math.max(call.streamedTo, to);
    }

    /** Follows the arguments value through strings and nesting until it is complete. */
    private scanArguments(call: OpenCall): void {
        const scan = call.scan;
        if (scan.position === -1) scan.position = call.argumentsStart;
        for (; scan.position < call.text.length && call.argumentsEnd === -1; scan.position++) {
            const character = call.text[scan.position]!;
            if (scan.inString) {
                if (scan.escaped) scan.escaped = false;
                else if (character === "\\") scan.escaped = true;
                else if (character === "\"") {
                    scan.inString = false;
                    if (scan.depth === 0) call.argumentsEnd = scan.position + 1;
                }
            } else if (character === "\"") scan.inString = true;
            else if (character === "{" || character === "[") scan.depth++;
            else if (character === "}" || character === "]") {
                scan.depth--;
                if (scan.depth === 0) call.argumentsEnd = scan.position + 1;
                // The call object closing right after a bare value (`"arguments": 5}`).
                else if (scan.depth < 0) call.argumentsEnd = scan.position;
            } else if (scan.depth === 0 && /[,\s]/.test(character) && scan.position > call.argumentsStart) {
                call.argumentsEnd = scan.position;
            }
        }
    }

    private close(call: OpenCall, events: ToolCallEvent[], closedByTag: boolean): void {
        this.open = null;
        let parsed: unknown;
        try {
            parsed = JSON.parse(call.text);
        } catch {
            parsed = undefined;
        }
        const valid = typeof parsed === "object" && parsed !== null && typeof (parsed as { name?: unknown }).name === "string";
        if (!valid) {
            // Not a call after all: unless parts of it were already sent as a call, it is content.
            if (call.name === null) this.emitContent(events, toolCallOpen + call.text + (closedByTag ? toolCallClose : ""));
            return;
        }
        const { name, arguments: args = {} } = parsed as { name: string; arguments?: unknown };
        let argumentsText: string;
        if (typeof args === "string") {
            argumentsText = args;
            if (call.name === null) events.push({ type: "toolCallStart", index: call.index, id: call.id, name });
            events.push({ type: "toolCallArguments", index: call.index, text: args });
        } else if (call.name !== null && call.argumentsEnd !== -1) {
            argumentsText = call.text.slice(call.argumentsStart, call.argumentsEnd);
        } else {
            // Arguments came before the name, or were never seen: send them whole now.
            argumentsText = JSON.stringify(args);
            if (call.name === null) events.push({ type: "toolCallStart", index: call.index, id: call.id, name });
            if (call.streamedTo <= call.argumentsStart) events.push({ type: "toolCallArguments", index: call.index, text: argumentsText });
        }
        this.calls.push({ id: call.id, name, arguments: argumentsText });
    }
}
