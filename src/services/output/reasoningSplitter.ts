/**
 * Separates a reasoning model's thinking (`<think>...</think>`) from its answer as the text streams in.
 * Some templates open the thinking block in the prompt itself; then the output starts inside it.
 */
import { partialMarkerLength } from "./toolCallParser.js";

export const thinkOpen = "<think>";
export const thinkClose = "</think>";

export type ReasoningEvent = { type: "reasoning" | "content"; text: string };

export class ReasoningSplitter {
    private mode: "before" | "inside" | "after";
    private held = "";
    /** The answer after `</think>` starts at its first non-blank character. */
    private trimAnswerStart = false;

    constructor(startsInside: boolean) {
        this.mode = startsInside ? "inside" : "before";
    }

    push(text: string): ReasoningEvent[] {
        const events: ReasoningEvent[] = [];
        let buffer = this.held + text;
        this.held = "";
        if (this.mode === "before") {
            const trimmed = buffer.trimStart();
            if (trimmed.startsWith(thinkOpen)) {
                this.mode = "inside";
                buffer = trimmed.slice(thinkOpen.length);
            } else if (thinkOpen.startsWith(trimmed)) {
                this.held = buffer;
                return events;
            } else {
                this.mode = "after";
            }
        }
        if (this.mode === "inside") {
            const end = buffer.indexOf(thinkClose);
            if (end === -1) {
                const keep = partialMarkerLength(buffer, thinkClose);
                push(events, "reasoning", buffer.slice(0, buffer.length - keep));
                this.held = buffer.slice(buffer.length - keep);
                return events;
            }
            push(events, "reasoning", buffer.slice(0, end));
            buffer = buffer.slice(end + thinkClose.length);
            this.mode = "after";
            this.trimAnswerStart = true;
        }
        if (this.trimAnswerStart) {
            buffer = buffer.replace(/^\s+/, "");
            if (buffer !== "") this.trimAnswerStart = false;
        }
        push(events, "content", buffer);
        return events;
    }

    finish(): ReasoningEvent[] {
        const events: ReasoningEvent[] = [];
        push(events, this.mode === "inside" ? "reasoning" : "content", this.held);
        this.held = "";
        return events;
    }
}

function push(events: ReasoningEvent[], type: ReasoningEvent["type"], text: string): void {
    if (text !== "") events.push({ type, text });
}
