/**
 * `lmhost chat`: a terminal chat with a model on the running server. Answers stream as they are generated,
 * followed by tokens per second and time to first token. With stdin piped, its whole text is one prompt.
 * In a terminal, Ctrl-C stops the answer being written (the server stops generating) and keeps the session; a
 * conversation that outgrows the model's context drops its oldest turns (said when it happens); what the model
 * writes reaches the terminal without control characters.
 */
import { createInterface } from "node:readline/promises";
import { createParser } from "eventsource-parser";
import { Command } from "commander";
import type { V1Model } from "../schemas/v1/models.js";
import { action, CliError, ExitCode, serverOptions } from "./common.js";
import { ServerClient } from "./serverClient.js";

type Message = { role: "system" | "user" | "assistant"; content: string };
type Stats = { tokens_per_second: number; time_to_first_token: number; stop_reason: string };

/** The longest answer when --max-tokens is not given: without one, an answer could run to the end of the context. */
export const defaultChatMaxTokens = 1024;

class PromptTooLong extends CliError {}

async function defaultModel(client: ServerClient): Promise<string> {
    const { models } = await client.request<{ models: V1Model[] }>("GET", "/api/v1/models");
    const llms = models.filter((model) => model.type === "llm");
    const loaded = llms.find((model) => model.loaded_instances.length > 0);
    const chosen = loaded?.loaded_instances[0]?.id ?? llms[0]?.key;
    if (chosen === undefined) throw new CliError("the server has no LLM; download one with: lmhost get <user>/<repo>");
    return chosen;
}

/**
 * Model text as a terminal may show it: without C0 and C1 control characters (escape sequences, bells,
 * carriage returns that overwrite the line) but with newlines and tabs.
 */
export function terminalSafe(text: string): string {
    // eslint-disable-next-line no-control-regex
    return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
}

/**
 * Streams one answer to `write`, returning its text and the server's stats (null when stopped by `signal`).
 * Throws PromptTooLong when the conversation does not fit the model's context.
 */
async function answer(client: ServerClient, model: string, messages: Message[], write: (text: string) => void, maxTokens: number,
    signal?: AbortSignal): Promise<{ text: string; stats: Stats | null }> {
    let response: Response;
    try {
        response = await fetch(`${client.baseUrl}/api/v0/chat/completions`, {
            method: "POST",
            headers: client.headers({ "content-type": "application/json" }),
            body: JSON.stringify({ model, messages, stream: true, max_tokens: maxTokens }),
            signal
        });
    } catch {
        if (signal?.aborted) return { text: "", stats: null };
        throw new CliError(`no lmhost server at ${client.baseUrl} (start one with: lmhost serve)`, ExitCode.noServer);
    }
    if (!response.ok) {
        const { error } = (await response.json()) as { error?: { message?: string; code?: string } };
        const message = error?.message ?? `status ${response.status}`;
        throw error?.code === "context_length_exceeded" ? new PromptTooLong(message) : new CliError(message);
    }
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
    try {
        for await (const bytes of response.body!) parser.feed(decoder.decode(bytes, { stream: true }));
    } catch (error) {
        if (!signal?.aborted) throw error;
        return { text, stats: null };
    }
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

/** Drops the oldest exchange (after the system prompt) to make room; false when only the latest question is left. */
function dropOldestTurn(messages: Message[]): boolean {
    const first = messages[0]?.role === "system" ? 1 : 0;
    let lastUser = messages.length - 1;
    while (lastUser >= 0 && messages[lastUser]!.role !== "user") lastUser--;
    if (lastUser <= first) return false;
    // One user message and the answers after it, up to the next user message.
    let end = first + 1;
    while (end < lastUser && messages[end]!.role !== "user") end++;
    messages.splice(first, end - first);
    return true;
}

export function chatCommand(): Command {
    return serverOptions(new Command("chat"))
        .description("Chat with a model on the running server (default: the loaded LLM, else the first one)")
        .argument("[model]", "a model id or instance id")
        .option("--system <prompt>", "a system prompt")
        .option("--max-tokens <n>", "longest answer, in tokens", String(defaultChatMaxTokens))
        .action(action(async (requested: string | undefined, options: { system?: string; maxTokens: string; host?: string; port?: string; apiKey?: string }) => {
            const client = new ServerClient(options);
            const model = requested ?? await defaultModel(client);
            const maxTokens = Number(options.maxTokens);
            if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new CliError(`--max-tokens must be a positive integer, got "${options.maxTokens}"`, ExitCode.usage);
            const messages: Message[] = options.system ? [{ role: "system", content: options.system }] : [];
            const show = (text: string) => process.stdout.write(process.stdout.isTTY ? terminalSafe(text) : text);
            if (!process.stdin.isTTY) {
                const prompt = await readAll(process.stdin);
                if (prompt === "") throw new CliError("stdin was empty: nothing to ask", ExitCode.usage);
                const { stats } = await answer(client, model, [...messages, { role: "user", content: prompt }], show, maxTokens);
                process.stdout.write("\n");
                process.stderr.write(`(${describeStats(stats)})\n`);
                return;
            }
            const terminal = createInterface({ input: process.stdin, output: process.stdout });
            // Ctrl-C: stops the answer being written; at the prompt, says how to leave.
            let stopAnswer: AbortController | null = null;
            let stopQuestion: AbortController | null = null;
            terminal.on("SIGINT", () => {
                if (stopAnswer !== null) stopAnswer.abort();
                else stopQuestion?.abort();
            });
            process.stdout.write(`Chatting with ${model}. Ctrl-C stops an answer; /clear starts over, /exit (or Ctrl-D) leaves.\n`);
            try {
                for (;;) {
                    stopQuestion = new AbortController();
                    const line = await terminal.question("> ", { signal: stopQuestion.signal }).catch((error: unknown) =>
                        (error instanceof Error && error.name === "AbortError" ? "" : null));
                    if (stopQuestion.signal.aborted) {
                        process.stdout.write("\n(Ctrl-D or /exit leaves)\n");
                        continue;
                    }
                    if (line === null || line.trim() === "/exit") break;
                    if (line.trim() === "") continue;
                    if (line.trim() === "/clear") {
                        messages.splice(options.system ? 1 : 0);
                        continue;
                    }
                    messages.push({ role: "user", content: line });
                    stopAnswer = new AbortController();
                    try {
                        for (;;) {
                            try {
                                const { text, stats } = await answer(client, model, messages, show, maxTokens, stopAnswer.signal);
                                if (text !== "") messages.push({ role: "assistant", content: text });
                                process.stdout.write(stats === null ? "\n\x1b[2m(stopped)\x1b[0m\n" : `\n\x1b[2m(${describeStats(stats)})\x1b[0m\n`);
                                break;
                            } catch (error) {
                                if (!(error instanceof PromptTooLong)) throw error;
                                if (!dropOldestTurn(messages)) throw error;
                                process.stdout.write("\x1b[2m(the conversation outgrew the model's context: dropped its oldest turn)\x1b[0m\n");
                            }
                        }
                    } catch (error) {
                        // A failed answer ends neither the session nor its history; the question that failed goes.
                        if (messages.at(-1)?.role === "user") messages.pop();
                        if (error instanceof CliError && error.exitCode === ExitCode.noServer) throw error;
                        process.stdout.write(`\x1b[31m${error instanceof Error ? error.message : String(error)}\x1b[0m\n`);
                    } finally {
                        stopAnswer = null;
                    }
                }
            } finally {
                terminal.close();
            }
        }));
}
