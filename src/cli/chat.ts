/**
 * `lmhost chat`: a terminal chat with a model on the running server. Answers stream as they are generated,
 * followed by tokens per second and time to first token. With stdin piped, its whole text is one prompt.
 */
import { createInterface } from "node:readline/promises";
import { createParser } from "eventsource-parser";
import { Command } from "commander";
import type { V1Model } from "../schemas/v1/models.js";
import { action, CliError, ExitCode, serverOptions } from "./common.js";
import { ServerClient } from "./serverClient.js";

type Message = { role: "system" | "user" | "assistant"; content: string };
type Stats = { tokens_per_second: number; time_to_first_token: number; stop_reason: string };

async function defaultModel(client: ServerClient): Promise<string> {
    const { models } = await client.request<{ models: V1Model[] }>("GET", "/api/v1/models");
    const llms = models.filter((model) => model.type === "llm");
    const loaded = llms.find((model) => model.loaded_instances.length > 0);
    const chosen = loaded?.loaded_instances[0]?.id ?? llms[0]?.key;
    if (chosen === undefined) throw new CliError("the server has no LLM; download one with: lmhost get <user>/<repo>");
    return chosen;
}

/** Streams one answer to `write`, returning its text and the server's stats. */
async function answer(client: ServerClient, model: string, messages: Message[], write: (text: string) => void, maxTokens?: number): Promise<{ text: string; stats: Stats | null }> {
    let response: Response;
    try {
        response = await fetch(`${client.baseUrl}/api/v0/chat/completions`, {
            method: "POST",
            headers: client.headers({ "content-type": "application/json" }),
            body: JSON.stringify({ model, messages, stream: true, ...(maxTokens ? { max_tokens: maxTokens } : {}) })
        });
    } catch {
        throw new CliError(`no lmhost server at ${client.baseUrl} (start one with: lmhost serve)`, ExitCode.noServer);
    }
    if (!response.ok) throw new CliError(((await response.json()) as { error?: { message?: string } }).error?.message ?? `status ${response.status}`);
    let text = "";
    let stats: Stats | null = null;
    let failure: string | null = null;
    const parser = createParser({
        onEvent: (event) => {
            if (event.data === "[DONE]") return;
            const chunk = JSON.parse(event.data) as { error?: { message: string }; choices?: Array<{ delta: { content?: string } }>; stats?: Stats };
            if (chunk.error) failure = chunk.error.message;
            const piece = chunk.choices?.[0]?.delta.content ?? "";
            text += piece;
            if (piece) write(piece);
            if (chunk.stats) stats = chunk.stats;
        }
    });
    const decoder = new TextDecoder();
    for await (const bytes of response.body!) parser.feed(decoder.decode(bytes, { stream: true }));
    if (failure !== null) throw new CliError(failure);
    return { text, stats };
}

const describeStats = (stats: Stats | null) => (stats === null ? "" :
    `${stats.tokens_per_second.toFixed(1)} tok/s, first token ${stats.time_to_first_token.toFixed(2)} s, ${stats.stop_reason}`);

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
    let text = "";
    for await (const chunk of stream) text += chunk.toString();
    return text.trim();
}

export function chatCommand(): Command {
    return serverOptions(new Command("chat"))
        .description("Chat with a model on the running server (default: the loaded LLM, else the first one)")
        .argument("[model]", "a model id or instance id")
        .option("--system <prompt>", "a system prompt")
        .option("--max-tokens <n>", "longest answer, in tokens")
        .action(action(async (requested: string | undefined, options: { system?: string; maxTokens?: string; host?: string; port?: string; apiKey?: string }) => {
            const client = new ServerClient(options);
            const model = requested ?? await defaultModel(client);
            const maxTokens = options.maxTokens === undefined ? undefined : Number(options.maxTokens);
            const messages: Message[] = options.system ? [{ role: "system", content: options.system }] : [];
            if (!process.stdin.isTTY) {
                const prompt = await readAll(process.stdin);
                if (prompt === "") throw new CliError("stdin was empty: nothing to ask", ExitCode.usage);
                const { stats } = await answer(client, model, [...messages, { role: "user", content: prompt }], (text) => process.stdout.write(text), maxTokens);
                process.stdout.write("\n");
                process.stderr.write(`(${describeStats(stats)})\n`);
                return;
            }
            const terminal = createInterface({ input: process.stdin, output: process.stdout });
            process.stdout.write(`Chatting with ${model}. /clear starts over, /exit (or Ctrl-D) leaves.\n`);
            try {
                for (;;) {
                    const line = await terminal.question("> ").catch(() => null);
                    if (line === null || line.trim() === "/exit") break;
                    if (line.trim() === "") continue;
                    if (line.trim() === "/clear") {
                        messages.splice(options.system ? 1 : 0);
                        continue;
                    }
                    messages.push({ role: "user", content: line });
                    const { text, stats } = await answer(client, model, messages, (piece) => process.stdout.write(piece), maxTokens);
                    messages.push({ role: "assistant", content: text });
                    process.stdout.write(`\n\x1b[2m(${describeStats(stats)})\x1b[0m\n`);
                }
            } finally {
                terminal.close();
            }
        }));
}
