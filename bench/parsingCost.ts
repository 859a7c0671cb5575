/**
 * Does reading a family's output cost decode speed? One stream on the benchmark model (ChatML, read by the Hermes
 * family), interleaved runs of a chat completion with tools offered (the family parser reads content and looks
 * for calls every token) and of one without, each against a text completion of exactly the prompt it renders
 * (the same context length, no parsing at all).
 *
 *   npx tsx bench/parsingCost.ts [--runs 5 --tokens 128]
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readModelHeader } from "../src/engine/readModelHeader.js";
import { resolveFamily } from "../src/families/resolveFamily.js";
import { renderChatPrompt, type ChatTurn } from "../src/services/chatPrompt.js";
import { placeModel, temporaryFolder } from "../test/support/fixtures.js";
import { ensureBenchModel } from "./fixtures.js";
import { machineFacts, median } from "./machine.js";
import { createParser } from "eventsource-parser";
import { freePort, waitForHttp } from "./streams.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, tokens: { type: "string", default: "128" } } });
const runs = Number(values.runs);
const tokens = Number(values.tokens);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

const benchModel = await ensureBenchModel("gpt2");
const modelsDir = await temporaryFolder("lmhost-bench-");
await placeModel(modelsDir, `lmhost-bench/Bench-GGUF/${path.basename(benchModel.path)}`, benchModel.path);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ["--import", "tsx", here("../src/cli/main.ts"), "serve", "--port", String(port), "--models-dir", modelsDir,
    "--no-hf-cache", "--no-ollama-models", "--log-level", "warn"], { stdio: ["ignore", "inherit", "inherit"] });
const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
const messages = [{ role: "user", content: "Tell me about the weather today, please." }];
const sampling = { model: benchModel.name, max_tokens: tokens, temperature: 0, repeat_penalty: 1, stream: true, cache_prompt: false };
/**
 * Decode speed from the client's side: completion tokens (from the usage chunk, since held-back text can merge
 * tokens into one event) over the time from the first to the last event with text.
 */
async function decodeSpeed(url: string, body: Record<string, unknown>): Promise<number> {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, stream_options: { include_usage: true } }) });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    let first = 0;
    let last = 0;
    let completionTokens = 0;
    const parser = createParser({
        onEvent: (event) => {
            if (event.data === "[DONE]") return;
            const chunk = JSON.parse(event.data) as { choices: unknown[]; usage?: { completion_tokens: number } | null };
            if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
            if (chunk.choices.length > 0) {
                last = performance.now();
                first ||= last;
            }
        }
    });
    const decoder = new TextDecoder();
    for await (const piece of response.body!) parser.feed(decoder.decode(piece, { stream: true }));
    return (completionTokens - 1) / ((last - first) / 1000);
}

// Text completions of exactly the prompts the chats render: the same context length, no parsing.
const header = await readModelHeader(benchModel.path);
const toolDefinitions = tools.map(({ function: tool }) => ({ name: tool.name, parameters: tool.parameters }));
const promptWithTools = renderChatPrompt(header, messages as ChatTurn[], toolDefinitions, { family: resolveFamily(header.chatTemplate) });
const promptWithoutTools = renderChatPrompt(header, messages as ChatTurn[], [], { family: resolveFamily(header.chatTemplate) });
const modes = {
    "chat, tools offered (parser reads content and calls)": () => decodeSpeed(`${base}/v1/chat/completions`, { ...sampling, messages, tools }),
    "text completion of the same prompt (no parsing)": () => decodeSpeed(`${base}/v1/completions`, { ...sampling, prompt: promptWithTools }),
    "chat, no tools (parser reads content)": () => decodeSpeed(`${base}/v1/chat/completions`, { ...sampling, messages }),
    "text completion of that prompt (no parsing)": () => decodeSpeed(`${base}/v1/completions`, { ...sampling, prompt: promptWithoutTools })
};
try {
    await waitForHttp(`${base}/api/v0/models`, server);
    const results = new Map<string, number[]>(Object.keys(modes).map((mode) => [mode, []]));
    await modes["text completion of that prompt (no parsing)"]();
    for (let run = 0; run < runs; run++) {
        for (const [mode, speed] of Object.entries(modes)) results.get(mode)!.push(await speed());
    }
    const ratio = (mode: string, reference: string) => (median(results.get(mode)!) / median(results.get(reference)!)).toFixed(3);
    const references: Record<string, string> = {
        "chat, tools offered (parser reads content and calls)": "text completion of the same prompt (no parsing)",
        "chat, no tools (parser reads content)": "text completion of that prompt (no parsing)"
    };
    const report = [
        `# Parsing cost on decode speed (${new Date().toISOString().slice(0, 10)})`, "", machineFacts(), "",
        `Model: ${benchModel.description}; one stream, ${tokens} tokens, greedy, ${runs} interleaved runs (median); " +
        "tokens/s from the usage's completion tokens over the time from the first to the last text event, at the client.`, "",
        "| mode | tokens/s | vs the same prompt without parsing |", "|---|---|---|",
        ...[...results].map(([mode, speeds]) => `| ${mode} | ${median(speeds).toFixed(1)} | ${references[mode] ? `${ratio(mode, references[mode])}x` : ""} |`)
    ].join("\n");
    console.log(report);
    writeFileSync(here(`./results/parsing-cost-${new Date().toISOString().slice(0, 10)}.md`), `${report}\n`);
} finally {
    server.kill("SIGTERM");
}
