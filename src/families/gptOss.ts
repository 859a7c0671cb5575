/**
 * gpt-oss (OpenAI's Harmony format). The answer is a run of messages: `<|channel|>analysis<|message|>...<|end|>`
 * (reasoning), `<|start|>assistant<|channel|>final<|message|>...` (the answer), and calls as
 * `<|channel|>commentary to=functions.name <|constrain|>json<|message|>{...}` (the recipient may also come
 * before the channel). Only `<|return|>` and `<|call|>` end the turn; `<|end|>` ends one message of it.
 */
import type { ModelFamily, ParsedCall, ParsedMessage, ReasoningEffort } from "./ModelFamily.js";
import { withoutPartialMarker } from "./parsing.js";

const start = "<|start|>";
const message = "<|message|>";
const end = "<|end|>";
const markers = [start, message, end, "<|channel|>", "<|constrain|>", "<|call|>", "<|return|>"];

export const gptOssFamily: ModelFamily = {
    id: "gpt-oss",
    name: "gpt-oss (Harmony channels, to=functions.x)",
    reasons: true,
    detect: (template) => template.includes("<|channel|>") && template.includes(start),
    endTokens: ["<|return|>", "<|call|>"],
    notEndTokens: [end],
    parse(text, context): ParsedMessage {
        const reasoning: string[] = [];
        const content: string[] = [];
        const calls: ParsedCall[] = [];
        let index = 0;
        while (index < text.length) {
            if (text.startsWith(start, index)) index += start.length;
            const bodyAt = text.indexOf(message, index);
            if (bodyAt === -1) {
                // Text outside the format (a model that ignored it) is the answer, once it is complete.
                if (!context.partial && index === 0) content.push(text);
                break;
            }
            const header = text.slice(index, bodyAt);
            const bodyStart = bodyAt + message.length;
            const bodyEnd = text.indexOf(end, bodyStart);
            const finished = bodyEnd !== -1;
            const body = finished ? text.slice(bodyStart, bodyEnd) : withoutPartialMarker(text.slice(bodyStart), markers, context.partial);
            const channel = /<\|channel\|>\s*(\w+)/.exec(header)?.[1] ?? "";
            const recipient = /to=([^\s<]+)/.exec(header)?.[1] ?? null;
            if (recipient?.startsWith("functions.") && context.readCalls) {
                calls.push({ name: recipient.slice("functions.".length), arguments: body.trim() === "" ? (finished || !context.partial ? "{}" : "") : body.trim() });
            } else if (channel === "final" || (channel === "commentary" && recipient === null) || recipient?.startsWith("functions.")) {
                content.push(body);
            } else {
                reasoning.push(body);
            }
            if (!finished) break;
            index = bodyEnd + end.length;
        }
        return { reasoning: reasoning.join("\n"), content: content.join("\n"), calls };
    },
    callGrammar: {
        // Only a commentary message with a recipient is a call; the analysis channel and preambles stay free.
        open: "", separator: "", close: "", parallel: false, trigger: "<|channel|>commentary to=",
        call: (name) => ({ before: `<|channel|>commentary to=functions.${name} <|constrain|>json<|message|>`, after: "" })
    },
    reasoningVariables: (effort: ReasoningEffort) => ({ reasoning_effort: effort === "none" || effort === "minimal" ? "low" : effort })
};
