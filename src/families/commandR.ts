/**
 * Command R7B (Cohere): `<|START_THINKING|>...<|END_THINKING|>`, then the answer in
 * `<|START_RESPONSE|>...<|END_RESPONSE|>` or calls in `<|START_ACTION|>[{"tool_call_id": "0", "tool_name": ...,
 * "parameters": {...}}]<|END_ACTION|>`.
 */
import type { ModelFamily, ParsedCall, ParsedMessage } from "./ModelFamily.js";
import { afterReasoning, jsonObjectCall, skipWhitespace, withoutPartialMarker } from "./parsing.js";

const action = ["<|START_ACTION|>", "<|END_ACTION|>"] as const;
const response = ["<|START_RESPONSE|>", "<|END_RESPONSE|>"] as const;

function readAnswer(text: string, context: Parameters<ModelFamily["parse"]>[1]): ParsedMessage {
    const calls: ParsedCall[] = [];
    let content = "";
    const responseAt = text.indexOf(response[0]);
    if (responseAt !== -1) {
        const bodyStart = responseAt + response[0].length;
        const end = text.indexOf(response[1], bodyStart);
        content = end === -1 ? withoutPartialMarker(text.slice(bodyStart), [response[1]], context.partial) : text.slice(bodyStart, end);
    }
    const actionAt = text.indexOf(action[0]);
    if (actionAt !== -1 && context.readCalls) {
        let index = skipWhitespace(text, actionAt + action[0].length);
        if (text[index] === "[") index++;
        for (;;) {
            index = skipWhitespace(text, index);
            if (text[index] === ",") {
                index++;
                continue;
            }
            const read = jsonObjectCall(text, index, !context.partial, { name: ["tool_name"], arguments: ["parameters"] });
            if (read === null) break;
            if (read.call) calls.push(read.call);
            if (read.end === -1) break;
            index = read.end;
        }
    }
    if (responseAt === -1 && actionAt === -1) {
        const plain = withoutPartialMarker(text, [response[0], action[0]], context.partial);
        content = context.partial && plain.trim() === "" ? "" : plain;
    }
    return { reasoning: "", content: content.trim(), calls };
}

export const commandR7bFamily: ModelFamily = {
    id: "command-r7b",
    name: "Command R7B (THINKING / ACTION / RESPONSE)",
    reasons: true,
    reasoningMarkers: ["<|START_THINKING|>", "<|END_THINKING|>"],
    detect: (template) => template.includes("<|START_ACTION|>") || template.includes("<|START_THINKING|>"),
    endTokens: ["<|END_OF_TURN_TOKEN|>"],
    parse: (text, context) => afterReasoning(text, context, ["<|START_THINKING|>", "<|END_THINKING|>"], (rest) => readAnswer(rest, context)),
    callGrammar: {
        open: `${action[0]}[\n    `, separator: ",\n    ", close: `\n]${action[1]}`, trigger: action[0],
        call: (name) => ({ before: `{"tool_call_id": "0", "tool_name": ${JSON.stringify(name)}, "parameters": `, after: "}" })
    }
};
