/**
 * Conversations, kept in this browser's IndexedDB (idb-keyval, a store of its own); nothing of them is stored on
 * the server (the app chats with `store: false`). Where IndexedDB is refused (some private windows), they last
 * as long as the page, and `persistent` says so.
 */
import { createStore, del, entries, set, type UseStore } from "idb-keyval";
import type { ChatStats } from "./api";

/** A call the model made to one of the tools in the settings; the user gives its result as a "tool" message. */
export type ToolCall = { tool: string; arguments: unknown; id?: string };

export type Message = {
    /** "tool": the result the user gave for the assistant's call `toolCallId`. */
    role: "user" | "assistant" | "tool";
    content: string;
    toolCallId?: string;
    /** The model's thinking, shown folded. */
    reasoning?: string;
    toolCalls?: ToolCall[];
    /** The model (instance) that answered. */
    model?: string;
    stats?: ChatStats;
    /** Set when the user stopped the answer, or it failed: what was shown stays. */
    stopped?: boolean;
    error?: string;
};

export type Settings = {
    systemPrompt: string;
    temperature: number | null;
    topP: number | null;
    maxTokens: number | null;
    /** LM Studio's `reasoning`: off, low, medium, high, on; null: the model's default. */
    reasoning: "off" | "low" | "medium" | "high" | "on" | null;
    /** Tools the model may call, as OpenAI's `tools` JSON; "" for none. */
    tools: string;
};

export type Conversation = {
    id: string;
    title: string;
    createdAt: number;
    updatedAt: number;
    model: string | null;
    settings: Settings;
    messages: Message[];
};

export const defaultSettings = (): Settings => ({ systemPrompt: "", temperature: null, topP: null, maxTokens: null, reasoning: null, tools: "" });

let store: UseStore | null = null;
const memory = new Map<string, Conversation>();
export let persistent = true;

function database(): UseStore | null {
    if (!persistent) return null;
    try {
        store ??= createStore("lmhost", "conversations");
        return store;
    } catch {
        persistent = false;
        return null;
    }
}

async function attempt<T>(action: (store: UseStore) => Promise<T>, fallback: () => T): Promise<T> {
    const db = database();
    if (db === null) return fallback();
    try {
        return await action(db);
    } catch {
        persistent = false;
        return fallback();
    }
}

export async function listConversations(): Promise<Conversation[]> {
    const all = await attempt(async (db) => (await entries<string, Conversation>(db)).map(([, value]) => value), () => [...memory.values()]);
    // Conversations saved by an earlier version lack the settings added since (tools).
    for (const conversation of all) memory.set(conversation.id, { ...conversation, settings: { ...defaultSettings(), ...conversation.settings } });
    return [...memory.values()].sort((a, b) => b.updatedAt - a.updatedAt);
}

export async function saveConversation(conversation: Conversation): Promise<void> {
    memory.set(conversation.id, conversation);
    await attempt((db) => set(conversation.id, conversation, db), () => undefined);
}

export async function deleteConversation(id: string): Promise<void> {
    memory.delete(id);
    await attempt((db) => del(id, db), () => undefined);
}

export function newConversation(model: string | null, settings: Settings): Conversation {
    const now = Date.now();
    const id = typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `${now.toString(36)}-${Math.random().toString(36).slice(2)}`;
    return { id, title: "New chat", createdAt: now, updatedAt: now, model, settings, messages: [] };
}

/** The title a conversation gets from its first question. */
export function titleFrom(text: string): string {
    const line = text.trim().split("\n")[0]?.trim() ?? "";
    return line === "" ? "New chat" : line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

export function toMarkdown(conversation: Conversation): string {
    const parts = [`# ${conversation.title}`, ""];
    if (conversation.model) parts.push(`Model: \`${conversation.model}\``, "");
    if (conversation.settings.systemPrompt.trim() !== "") parts.push("## System", "", conversation.settings.systemPrompt, "");
    for (const message of conversation.messages) {
        if (message.role === "tool") {
            parts.push(`## Tool result${message.toolCallId ? ` (\`${message.toolCallId}\`)` : ""}`, "", "```", message.content, "```", "");
            continue;
        }
        parts.push(message.role === "user" ? "## User" : `## Assistant${message.model ? ` (${message.model})` : ""}`, "");
        if (message.reasoning) parts.push("<details><summary>Reasoning</summary>", "", message.reasoning, "", "</details>", "");
        for (const call of message.toolCalls ?? []) parts.push(`Tool call: \`${call.tool}\` ${"`"}${JSON.stringify(call.arguments)}${"`"}`, "");
        parts.push(message.content, "");
        if (message.stats) parts.push(`*${message.stats.tokens_per_second.toFixed(1)} tok/s, ${message.stats.time_to_first_token_seconds.toFixed(2)} s to first token*`, "");
    }
    return parts.join("\n");
}
