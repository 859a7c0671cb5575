/**
 * What reading a family's output costs per generated token: each family's parser fed a long answer (reasoning,
 * an answer, a call with long arguments) in word-sized tokens, the way the service feeds it while streaming.
 * Compare with a decode step: 3-15 ms for a small model on a GPU or a CPU.
 *
 *   npx tsx bench/familyParsers.ts [--tokens 2000]
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { FamilyOutputParser } from "../src/families/FamilyOutputParser.js";
import { families, genericFamily } from "../src/families/resolveFamily.js";
import { machineFacts } from "./machine.js";

const { values } = parseArgs({ options: { tokens: { type: "string", default: "2000" } } });
const tokens = Number(values.tokens);
const words = "the model keeps thinking about the weather in Paris and what the user might want to know next ";
const long = (characters: number) => words.repeat(Math.ceil(characters / words.length)).slice(0, characters);

/** A family's markup around reasoning, an answer and a call, sized to `tokens` tokens of 4 characters. */
function sample(id: string): { text: string; startsInReasoning: boolean } {
    const third = Math.floor((tokens * 4) / 3);
    const [reasoning, answer, argument] = [long(third), long(third), long(third)];
    const args = JSON.stringify({ city: "Paris", notes: argument });
    switch (id) {
        case "gpt-oss": return { text: `<|channel|>analysis<|message|>${reasoning}<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>${args}`, startsInReasoning: false };
        case "mistral-tekken": return { text: `[THINK]${reasoning}[/THINK]${answer}[TOOL_CALLS]get_weather[ARGS]${args}`, startsInReasoning: false };
        case "llama3": return { text: `{"name": "get_weather", "parameters": ${args}}`, startsInReasoning: false };
        case "deepseek-r1": return { text: `${reasoning}</think>${answer}<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n\`\`\`json\n${args}\n\`\`\`<｜tool▁call▁end｜><｜tool▁calls▁end｜>`, startsInReasoning: true };
        case "qwen3-coder": return { text: `${answer}<tool_call>\n<function=get_weather>\n<parameter=notes>\n${argument}\n</parameter>\n</function>\n</tool_call>`, startsInReasoning: false };
        default: return { text: `<think>\n${reasoning}\n</think>\n\n${answer}<tool_call>\n{"name": "get_weather", "arguments": ${args}}\n</tool_call>`, startsInReasoning: false };
    }
}

const tools = [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" }, notes: { type: "string" } } } }];
const rows: string[] = [];
for (const family of [...families, genericFamily].filter((candidate) => ["generic", "qwen3", "gpt-oss", "mistral-tekken", "llama3", "deepseek-r1", "qwen3-coder"].includes(candidate.id))) {
    const { text, startsInReasoning } = sample(family.id);
    // Tokens as BPE vocabularies cut text: a word with the whitespace before it, markup characters apart.
    const pieces = text.match(/\s*[\w']{1,6}|\s*[^\w\s]|\s+/g) ?? [];
    const timings: number[] = [];
    for (let run = 0; run < 5; run++) {
        const parser = new FamilyOutputParser(family, { startsInReasoning, readCalls: true, tools });
        const started = performance.now();
        for (const piece of pieces) parser.push(piece);
        parser.finish(null);
        timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    const median = timings[2]!;
    rows.push(`| ${family.id} | ${pieces.length} | ${median.toFixed(1)} | ${((median * 1000) / pieces.length).toFixed(1)} |`);
}

const report = [
    `# Family output parsers: cost per token (${new Date().toISOString().slice(0, 10)})`,
    "",
    machineFacts(),
    "",
    "Each parser reads the whole text so far after every token (llama-server's approach); this is that cost for a",
    `${tokens}-token answer (median of 5 runs), streamed in word-sized tokens.`,
    "",
    "| family | tokens | total ms | µs per token |",
    "|---|---|---|---|",
    ...rows
].join("\n");
console.log(report);
writeFileSync(new URL(`./results/family-parsers-${new Date().toISOString().slice(0, 10)}.md`, import.meta.url), `${report}\n`);
