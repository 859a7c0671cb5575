/**
 * Chat through LM Studio's native `POST /api/v1/chat`, streamed (`stream: true`) and stateless (`store: false`):
 * each turn sends the whole conversation as `input` message items. Its events say how the model's load and the
 * prompt's evaluation progress, then bring reasoning and message deltas and, at `chat.end`, the stats. Stop (or
 * Escape) aborts the request; the server stops the generation when the client hangs up.
 *
 * With tools in the settings (OpenAI's `tools` JSON; LM Studio's route takes only MCP integrations), turns go
 * through `POST /v1/chat/completions` instead (calls parsed, llama-server's `timings` with the usage; no load
 * progress): the model's calls are shown as they stream, and the user answers each with its result, which
 * continues the turn.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { apiFetch, ApiError, errorOf, getJson, readEvents, type ChatEvent, type Model } from "../api";
import { bytes, fixed, percent } from "../format";
import { readSetting, writeSetting } from "../hooks";
import { renderMarkdown } from "../markdown";
import {
    defaultSettings, deleteConversation, listConversations, newConversation, persistent, saveConversation, titleFrom, toMarkdown,
    type Conversation, type Message, type Settings, type ToolCall
} from "../store";

type Phase = { kind: "waiting" } | { kind: "loading"; progress: number } | { kind: "prompt"; progress: number } | { kind: "reasoning" } | { kind: "answering" };
type Live = { conversationId: string; controller: AbortController; phase: Phase };

const modelStorage = "lmhost.model";
const settingsStorage = "lmhost.settings";

function storedSettings(): Settings {
    try {
        return { ...defaultSettings(), ...(JSON.parse(readSetting(settingsStorage) ?? "{}") as Partial<Settings>) };
    } catch {
        return defaultSettings();
    }
}

function download(name: string, type: string, text: string): void {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const fileName = (conversation: Conversation) => (conversation.title.replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "chat");

/** Copies a code block's text (its Copy button is in the rendered Markdown). */
function copyCode(event: MouseEvent): void {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>("[data-copy-code]");
    const code = button?.closest(".code-block")?.querySelector("pre");
    if (!button || !code) return;
    const text = code.textContent ?? "";
    const done = (label: string) => {
        button.textContent = label;
        setTimeout(() => { button.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Copy failed"));
    } else {
        // Not a secure context (http on another host): select the code for the user to copy.
        const range = document.createRange();
        range.selectNodeContents(code);
        const selection = getSelection();
        selection?.removeAllRanges();
        selection?.addRange(range);
        done("Selected");
    }
}

function Markdown({ text, testId }: { text: string; testId: string }) {
    const html = useMemo(() => renderMarkdown(text), [text]);
    return <div class="markdown" data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />;
}

function ToolCalls({ calls }: { calls: ToolCall[] }) {
    return (
        <ul class="tool-calls" data-testid="tool-calls">
            {calls.map((call, index) => (
                <li key={index} class="tool-call" data-testid="tool-call">
                    <span class="chip">tool</span> <code>{call.tool}</code>
                    <pre>{typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments, null, 2)}</pre>
                </li>
            ))}
        </ul>
    );
}

/** The two phases with real progress: the model's load and the prompt's evaluation. */
const progressPhases = {
    loading: { testId: "load-progress", text: "Loading the model…", label: "Model load" },
    prompt: { testId: "prompt-progress", text: "Reading the prompt…", label: "Prompt processing" }
} as const;

function PhaseLine({ phase }: { phase: Phase }) {
    if (phase.kind === "loading" || phase.kind === "prompt") {
        const { testId, text, label } = progressPhases[phase.kind];
        return (
            <div class="phase" data-testid={testId} role="status">
                <span>{text} {percent(phase.progress)}</span>
                <progress max={1} value={phase.progress} aria-label={label} />
            </div>
        );
    }
    if (phase.kind === "waiting") return <div class="phase" role="status"><span class="spinner" aria-hidden="true" /> Waiting for the model…</div>;
    return null;
}

function AssistantMessage({ message, live }: { message: Message; live: Phase | null }) {
    const stats = message.stats;
    return (
        <article class="message assistant" data-testid="assistant-message" aria-busy={live !== null} onClick={copyCode}>
            <div class="message-role">{message.model ?? "assistant"}</div>
            {message.reasoning ? (
                <details class="reasoning" data-testid="reasoning" open={live?.kind === "reasoning"}>
                    <summary>{live?.kind === "reasoning" ? "Thinking…" : "Reasoning"}</summary>
                    <Markdown text={message.reasoning} testId="reasoning-text" />
                </details>
            ) : null}
            {message.toolCalls && message.toolCalls.length > 0 ? <ToolCalls calls={message.toolCalls} /> : null}
            {message.content !== "" || live === null ? <Markdown text={message.content} testId="answer" /> : null}
            {live !== null ? <PhaseLine phase={live} /> : null}
            {stats ? (
                <p class="stats" data-testid="answer-stats">
                    <span data-testid="stat-tokens-per-second">{fixed(stats.tokens_per_second)} tok/s</span>
                    <span data-testid="stat-time-to-first-token">{fixed(stats.time_to_first_token_seconds, 2)} s to first token</span>
                    <span>{stats.total_output_tokens} tokens</span>
                    {stats.model_load_time_seconds !== undefined ? <span>loaded in {fixed(stats.model_load_time_seconds, 1)} s</span> : null}
                </p>
            ) : null}
            {message.stopped ? <p class="note" data-testid="answer-stopped">Stopped.</p> : null}
            {message.error ? <p class="error" role="alert" data-testid="chat-error">{message.error}</p> : null}
        </article>
    );
}

function numberOrNull(value: string): number | null {
    if (value.trim() === "") return null;
    const number = Number(value);
    return Number.isFinite(number) ? number : null;
}

function SettingsPanel({ settings, onChange, disabled }: { settings: Settings; onChange: (settings: Settings) => void; disabled: boolean }) {
    const set = <K extends keyof Settings>(name: K, value: Settings[K]) => onChange({ ...settings, [name]: value });
    return (
        <details class="settings" data-testid="chat-settings">
            <summary>Settings</summary>
            <fieldset disabled={disabled}>
                <label for="system-prompt">System prompt</label>
                <textarea id="system-prompt" name="system-prompt" rows={3} data-testid="system-prompt" value={settings.systemPrompt}
                    placeholder="You are a helpful assistant." onInput={(event) => set("systemPrompt", event.currentTarget.value)} />
                <div class="grid-4">
                    <div>
                        <label for="temperature">Temperature</label>
                        <input id="temperature" name="temperature" type="number" min={0} max={2} step={0.05} placeholder="default" data-testid="temperature"
                            value={settings.temperature ?? ""} onInput={(event) => set("temperature", numberOrNull(event.currentTarget.value))} />
                    </div>
                    <div>
                        <label for="top-p">Top P</label>
                        <input id="top-p" name="top-p" type="number" min={0} max={1} step={0.05} placeholder="default" data-testid="top-p"
                            value={settings.topP ?? ""} onInput={(event) => set("topP", numberOrNull(event.currentTarget.value))} />
                    </div>
                    <div>
                        <label for="max-tokens">Max tokens</label>
                        <input id="max-tokens" name="max-tokens" type="number" min={1} step={1} placeholder="default" data-testid="max-tokens"
                            value={settings.maxTokens ?? ""} onInput={(event) => set("maxTokens", numberOrNull(event.currentTarget.value))} />
                    </div>
                    <div>
                        <label for="reasoning-effort">Reasoning</label>
                        <select id="reasoning-effort" name="reasoning-effort" data-testid="reasoning-effort" value={settings.reasoning ?? ""}
                            onChange={(event) => set("reasoning", (event.currentTarget.value || null) as Settings["reasoning"])}>
                            <option value="">model's default</option>
                            <option value="off">off</option>
                            <option value="low">low</option>
                            <option value="medium">medium</option>
                            <option value="high">high</option>
                            <option value="on">on</option>
                        </select>
                    </div>
                </div>
                <label for="tools">Tools <span class="hint">(OpenAI's <code>tools</code> JSON; you give each call's result)</span></label>
                <textarea id="tools" name="tools" rows={3} data-testid="tools" value={settings.tools} spellcheck={false}
                    placeholder='[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]'
                    onInput={(event) => set("tools", event.currentTarget.value)} />
                {"error" in toolsOf(settings.tools) ? <p class="error" data-testid="tools-error">{(toolsOf(settings.tools) as { error: string }).error}</p> : null}
            </fieldset>
        </details>
    );
}

/** The settings' tools: none for an empty field, else a JSON array of OpenAI function tools, or what is wrong. */
function toolsOf(text: string): { tools: unknown[] } | { error: string } {
    if (text.trim() === "") return { tools: [] };
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        return { error: `Tools are not JSON: ${(error as Error).message}` };
    }
    const list = Array.isArray(value) ? value : [value];
    const named = list.every((tool) => typeof tool === "object" && tool !== null && typeof (tool as { function?: { name?: unknown } }).function?.name === "string");
    return named ? { tools: list.map((tool) => ({ type: "function", ...(tool as object) })) } : { error: "Each tool needs a function with a name: {\"type\": \"function\", \"function\": {\"name\": ...}}." };
}

/**
 * The conversation as OpenAI chat messages: the system prompt, then turns, calls with their ids, and their
 * results. A call left without a result (the user wrote on instead) is left out: a call must be answered.
 */
function openAiMessages(conversation: Conversation) {
    const answered = new Set(conversation.messages.flatMap((message) => (message.role === "tool" && message.toolCallId ? [message.toolCallId] : [])));
    const messages: object[] = [];
    if (conversation.settings.systemPrompt.trim() !== "") messages.push({ role: "system", content: conversation.settings.systemPrompt });
    for (const message of conversation.messages) {
        if (message.role === "tool") {
            messages.push({ role: "tool", tool_call_id: message.toolCallId ?? "", content: message.content });
            continue;
        }
        const calls = message.role === "assistant" ? (message.toolCalls ?? []).filter((call) => call.id !== undefined && answered.has(call.id)) : [];
        if (message.content === "" && calls.length === 0) continue;
        messages.push({
            role: message.role, content: message.content,
            ...(calls.length > 0 ? { tool_calls: calls.map((call) => ({
                id: call.id, type: "function",
                function: { name: call.tool, arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments) }
            })) } : {})
        });
    }
    return messages;
}

function completionBody(conversation: Conversation, model: string, tools: unknown[]) {
    const { settings } = conversation;
    const effort = settings.reasoning === "on" ? "high" : settings.reasoning === "off" ? "none" : settings.reasoning;
    return {
        model, messages: openAiMessages(conversation), tools, stream: true, stream_options: { include_usage: true },
        ...(settings.temperature !== null ? { temperature: settings.temperature } : {}),
        ...(settings.topP !== null ? { top_p: settings.topP } : {}),
        ...(settings.maxTokens !== null ? { max_tokens: Math.max(1, Math.round(settings.maxTokens)) } : {}),
        ...(effort !== null ? { reasoning_effort: effort } : {})
    };
}

/** The calls of the last answer waiting for their results: an answer that ended as it should (not stopped, not failed). */
function pendingCalls(messages: Message[]): ToolCall[] {
    const last = messages[messages.length - 1];
    if (last?.role !== "assistant" || last.stopped || last.error) return [];
    return (last.toolCalls ?? []).filter((call) => call.id !== undefined && call.id !== "");
}

function ToolResults({ calls, onSend, disabled }: { calls: ToolCall[]; onSend: (results: Message[]) => void; disabled: boolean }) {
    const [results, setResults] = useState<string[]>(() => calls.map(() => ""));
    return (
        <form class="tool-results" data-testid="tool-results" onSubmit={(event) => {
            event.preventDefault();
            onSend(calls.map((call, index) => ({ role: "tool", toolCallId: call.id!, content: results[index] ?? "" })));
        }}>
            {calls.map((call, index) => (
                <div key={call.id}>
                    <label for={`tool-result-${index}`}>Result of <code>{call.tool}</code></label>
                    <textarea id={`tool-result-${index}`} rows={2} data-testid="tool-result-input" value={results[index]}
                        onInput={(event) => { const value = event.currentTarget.value; setResults((list) => list.map((item, at) => (at === index ? value : item))); }} />
                </div>
            ))}
            <button type="submit" class="primary" data-testid="send-tool-results" disabled={disabled}>Send {calls.length > 1 ? "results" : "result"}</button>
        </form>
    );
}

/** The request's `input`: every message so far, as message items; answers that failed before a word are left out. */
function inputOf(messages: Message[]) {
    return messages.flatMap((message) => (message.content === "" || message.role === "tool" ? [] : [{ type: "message" as const, role: message.role, content: message.content }]));
}

function requestBody(conversation: Conversation, model: string) {
    const { settings } = conversation;
    return {
        model,
        input: inputOf(conversation.messages),
        stream: true,
        store: false,
        ...(settings.systemPrompt.trim() !== "" ? { system_prompt: settings.systemPrompt } : {}),
        ...(settings.temperature !== null ? { temperature: settings.temperature } : {}),
        ...(settings.topP !== null ? { top_p: settings.topP } : {}),
        ...(settings.maxTokens !== null ? { max_output_tokens: Math.max(1, Math.round(settings.maxTokens)) } : {}),
        ...(settings.reasoning !== null ? { reasoning: settings.reasoning } : {})
    };
}

type Draw = (now?: boolean) => void;

/** Streams `POST /api/v1/chat` into `message`; true when the stream said the answer is complete. */
async function streamChat(body: object, message: Message, state: Live, draw: Draw): Promise<boolean> {
    const response = await apiFetch("/api/v1/chat", {
        method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify(body), signal: state.controller.signal
    });
    if (!response.ok) throw await errorOf(response);
    if (response.body === null) throw new ApiError("The server sent no stream.", response.status);
    let ended = false;
    for await (const { data } of readEvents(response.body)) {
        let event: ChatEvent;
        try {
            event = JSON.parse(data) as ChatEvent;
        } catch {
            continue;
        }
        switch (event.type) {
            case "model_load.start": state.phase = { kind: "loading", progress: 0 }; break;
            case "model_load.progress": state.phase = { kind: "loading", progress: event.progress }; break;
            case "model_load.end": state.phase = { kind: "waiting" }; break;
            case "prompt_processing.start": state.phase = { kind: "prompt", progress: 0 }; break;
            case "prompt_processing.progress": state.phase = { kind: "prompt", progress: event.progress }; break;
            case "reasoning.start": state.phase = { kind: "reasoning" }; break;
            case "reasoning.delta": message.reasoning = (message.reasoning ?? "") + event.content; state.phase = { kind: "reasoning" }; break;
            case "message.start": state.phase = { kind: "answering" }; break;
            case "message.delta": message.content += event.content; state.phase = { kind: "answering" }; break;
            case "chat.end": {
                ended = true;
                message.stats = event.result.stats;
                message.model = event.result.model_instance_id;
                const output = event.result.output;
                const answer = output.map((item) => (item.type === "message" ? item.content : "")).join("");
                const reasoning = output.map((item) => (item.type === "reasoning" ? item.content : "")).join("");
                message.content = answer;
                if (reasoning !== "") message.reasoning = reasoning;
                break;
            }
            case "error": throw new ApiError(event.error.message, 500, event.error.code ?? null);
            default: break;
        }
        draw(event.type === "chat.end");
    }
    return ended;
}

type CompletionChunk = {
    model?: string;
    choices?: Array<{ delta?: { content?: string | null; reasoning_content?: string | null; tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }> } }>;
    usage?: { prompt_tokens: number; completion_tokens: number } | null;
    /** llama-server's timings, with the usage. */
    timings?: { prompt_ms: number; predicted_per_second: number };
    error?: { message: string; code?: string | null };
};

/** The arguments as an object where they are JSON (as /api/v1/chat gives them), else as written. */
function argumentsOf(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}

/** Streams `POST /v1/chat/completions` (turns with tools) into `message`; true at [DONE]. */
async function streamCompletion(body: object, message: Message, state: Live, draw: Draw): Promise<boolean> {
    const response = await apiFetch("/v1/chat/completions", {
        method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify(body), signal: state.controller.signal
    });
    if (!response.ok) throw await errorOf(response);
    if (response.body === null) throw new ApiError("The server sent no stream.", response.status);
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    for await (const { data } of readEvents(response.body)) {
        if (data === "[DONE]") {
            draw(true);
            return true;
        }
        let chunk: CompletionChunk;
        try {
            chunk = JSON.parse(data) as CompletionChunk;
        } catch {
            continue;
        }
        if (chunk.error) throw new ApiError(chunk.error.message, 500, chunk.error.code ?? null);
        if (chunk.model) message.model = chunk.model;
        if (chunk.usage && chunk.timings) {
            message.stats = {
                input_tokens: chunk.usage.prompt_tokens, total_output_tokens: chunk.usage.completion_tokens, reasoning_output_tokens: 0,
                tokens_per_second: chunk.timings.predicted_per_second, time_to_first_token_seconds: chunk.timings.prompt_ms / 1000
            };
        }
        const delta = chunk.choices?.[0]?.delta;
        if (delta) {
            if (delta.reasoning_content) {
                message.reasoning = (message.reasoning ?? "") + delta.reasoning_content;
                state.phase = { kind: "reasoning" };
            }
            if (delta.content) {
                message.content += delta.content;
                state.phase = { kind: "answering" };
            }
            for (const piece of delta.tool_calls ?? []) {
                const call = calls[piece.index] ??= { id: "", name: "", arguments: "" };
                if (piece.id) call.id = piece.id;
                if (piece.function?.name) call.name += piece.function.name;
                if (piece.function?.arguments) call.arguments += piece.function.arguments;
                state.phase = { kind: "answering" };
            }
            if (calls.length > 0) message.toolCalls = calls.map((call) => ({ id: call.id, tool: call.name, arguments: argumentsOf(call.arguments) }));
        }
        draw();
    }
    return false;
}

export function Chat({ active }: { active: boolean }) {
    const [models, setModels] = useState<Model[] | null>(null);
    const [modelsError, setModelsError] = useState<string | null>(null);
    const [conversations, setConversations] = useState<Conversation[]>([]);
    const [current, setCurrent] = useState<Conversation>(() => newConversation(readSetting(modelStorage), storedSettings()));
    const [draft, setDraft] = useState("");
    const [live, setLive] = useState<Live | null>(null);
    const [renaming, setRenaming] = useState<string | null>(null);
    const [confirmingDelete, setConfirmingDelete] = useState(false);
    const [showList, setShowList] = useState(false);
    const liveRef = useRef<Live | null>(null);
    const messagesEnd = useRef<HTMLDivElement>(null);
    const scroller = useRef<HTMLDivElement>(null);
    const prompt = useRef<HTMLTextAreaElement>(null);

    const refreshModels = useCallback(async () => {
        try {
            const { models } = await getJson<{ models: Model[] }>("/api/v1/models");
            setModels(models.filter((model) => model.type === "llm"));
            setModelsError(null);
        } catch (error) {
            setModelsError((error as Error).message);
        }
    }, []);

    useEffect(() => {
        void listConversations().then(setConversations);
    }, []);
    useEffect(() => {
        if (active) void refreshModels();
    }, [active, refreshModels]);

    // The model: the conversation's, else the last one used, else a loaded one, else the first.
    const model = useMemo(() => {
        if (models === null) return current.model;
        const known = (key: string | null) => key !== null && models.some((candidate) => candidate.key === key);
        if (known(current.model)) return current.model;
        const last = readSetting(modelStorage);
        if (known(last)) return last;
        return (models.find((candidate) => candidate.loaded_instances.length > 0) ?? models[0])?.key ?? null;
    }, [models, current.model]);

    /** Replaces a conversation wherever it is shown; kept in IndexedDB once it has messages. */
    const update = useCallback((next: Conversation, save = true) => {
        setCurrent((shown) => (shown.id === next.id ? next : shown));
        if (next.messages.length === 0) return;
        setConversations((list) => [next, ...list.filter((item) => item.id !== next.id)].sort((a, b) => b.updatedAt - a.updatedAt));
        if (save) void saveConversation(next);
    }, []);

    const stop = useCallback(() => liveRef.current?.controller.abort(), []);

    useEffect(() => {
        if (live === null) return;
        const escape = (event: KeyboardEvent) => {
            if (event.key === "Escape" && !event.defaultPrevented && document.querySelector("dialog[open]") === null) {
                event.preventDefault();
                stop();
            }
        };
        document.addEventListener("keydown", escape);
        return () => document.removeEventListener("keydown", escape);
    }, [live, stop]);

    // Follows the answer as it grows, unless the user scrolled up to read.
    const nearBottom = useRef(true);
    useEffect(() => {
        if (nearBottom.current) messagesEnd.current?.scrollIntoView({ block: "end" });
    }, [current]);

    async function send() {
        const text = draft.trim();
        if (text === "" || liveRef.current !== null || model === null) return;
        setDraft("");
        await respond([...current.messages, { role: "user", content: text }], current.messages.length === 0 ? titleFrom(text) : current.title);
    }

    /** Answers the conversation `history` ends: a user's message, or the results of the last answer's calls. */
    async function respond(history: Message[], title: string) {
        if (liveRef.current !== null || model === null) return;
        writeSetting(modelStorage, model);
        writeSetting(settingsStorage, JSON.stringify(current.settings));
        const assistant: Message = { role: "assistant", content: "", model };
        let conversation: Conversation = { ...current, model, title, updatedAt: Date.now(), messages: [...history, assistant] };
        const asked: Conversation = { ...conversation, messages: history };
        const tools = toolsOf(conversation.settings.tools);
        nearBottom.current = true;
        const state: Live = { conversationId: conversation.id, controller: new AbortController(), phase: { kind: "waiting" } };
        liveRef.current = state;
        setLive(state);
        update(conversation);

        // Deltas arrive faster than the eye reads: the message (its whole Markdown rendered again each time) is
        // redrawn at most ten times a second, so a long answer does not cost its length squared every frame.
        let frame = 0;
        const message: Message = { ...assistant };
        const draw = (now = false) => {
            const apply = () => {
                frame = 0;
                conversation = { ...conversation, messages: [...conversation.messages.slice(0, -1), { ...message }] };
                update(conversation, false);
                setLive({ ...state });
            };
            if (now) {
                if (frame !== 0) clearTimeout(frame);
                apply();
            } else if (frame === 0) frame = window.setTimeout(apply, 100);
        };
        try {
            if ("error" in tools) throw new ApiError(tools.error, 400);
            const ended = tools.tools.length > 0
                ? await streamCompletion(completionBody(asked, model, tools.tools), message, state, draw)
                : await streamChat(requestBody(asked, model), message, state, draw);
            if (!ended) message.error = "The answer ended before the server said it was complete.";
        } catch (error) {
            if ((error as Error).name === "AbortError") message.stopped = true;
            else message.error = (error as Error).message || "The chat failed.";
        } finally {
            liveRef.current = null;
            setLive(null);
            // A redraw still due would bring the answer back to life after its end.
            if (frame !== 0) clearTimeout(frame);
            conversation = { ...conversation, updatedAt: Date.now(), messages: [...conversation.messages.slice(0, -1), { ...message }] };
            update(conversation);
            void refreshModels();
            prompt.current?.focus();
        }
    }

    const busy = live !== null;
    const liveHere = live !== null && live.conversationId === current.id;
    const selectConversation = (conversation: Conversation) => {
        setCurrent(conversation);
        setConfirmingDelete(false);
        setShowList(false);
        prompt.current?.focus();
    };
    const startNew = () => {
        setCurrent(newConversation(model, current.settings));
        setConfirmingDelete(false);
        setShowList(false);
        prompt.current?.focus();
    };
    const remove = async () => {
        await deleteConversation(current.id);
        setConversations((list) => list.filter((item) => item.id !== current.id));
        setConfirmingDelete(false);
        setCurrent(newConversation(model, current.settings));
    };
    const rename = (title: string) => {
        setRenaming(null);
        const trimmed = title.trim();
        if (trimmed !== "" && trimmed !== current.title) update({ ...current, title: trimmed, updatedAt: Date.now() });
    };
    const modelInfo = models?.find((candidate) => candidate.key === model);

    return (
        <section class="view chat" hidden={!active} aria-label="Chat">
            <aside class={`conversations${showList ? " open" : ""}`} aria-label="Conversations"
                onKeyDown={(event) => { if (event.key === "Escape" && showList) { event.preventDefault(); setShowList(false); } }}>
                <div class="row list-head">
                    <button type="button" class="primary wide" data-testid="new-chat" onClick={startNew}>New chat</button>
                    <button type="button" class="quiet list-close" data-testid="close-conversations" onClick={() => setShowList(false)}>Close</button>
                </div>
                {!persistent ? <p class="hint">This browser refused IndexedDB: conversations last until the page closes.</p> : null}
                <ul data-testid="conversation-list">
                    {conversations.map((conversation) => (
                        <li key={conversation.id}>
                            <button type="button" class="conversation" data-testid="conversation-item" aria-current={conversation.id === current.id ? "true" : undefined}
                                onClick={() => selectConversation(conversation)}>
                                {conversation.title}
                                {live?.conversationId === conversation.id ? <span class="dot" aria-label="answering" /> : null}
                            </button>
                        </li>
                    ))}
                </ul>
                {conversations.length === 0 ? <p class="hint">Conversations are kept in this browser.</p> : null}
            </aside>
            <div class="chat-main">
                <div class="chat-head">
                    <button type="button" class="quiet list-toggle" aria-expanded={showList} onClick={() => setShowList(!showList)} data-testid="toggle-conversations">☰<span class="sr-only">Conversations</span></button>
                    {renaming !== null ? (
                        <input class="title-input" aria-label="Conversation title" data-testid="rename-input" value={renaming} ref={(element) => element?.focus()}
                            onInput={(event) => setRenaming(event.currentTarget.value)}
                            onKeyDown={(event) => {
                                if (event.key === "Enter") rename(renaming);
                                if (event.key === "Escape") { event.preventDefault(); setRenaming(null); }
                            }}
                            onBlur={() => rename(renaming)} />
                    ) : <h1 class="title" data-testid="conversation-title">{current.title}</h1>}
                    {current.messages.length > 0 ? (
                        <div class="row chat-actions">
                            <button type="button" class="quiet" data-testid="rename-conversation" disabled={busy} onClick={() => setRenaming(current.title)}>Rename</button>
                            <button type="button" class="quiet" data-testid="export-json" onClick={() => download(`${fileName(current)}.json`, "application/json", JSON.stringify(current, null, 2))}>JSON</button>
                            <button type="button" class="quiet" data-testid="export-markdown" onClick={() => download(`${fileName(current)}.md`, "text/markdown", toMarkdown(current))}>Markdown</button>
                            {confirmingDelete
                                ? <button type="button" class="danger" data-testid="confirm-delete" disabled={liveHere} onClick={() => void remove()}>Delete for good</button>
                                : <button type="button" class="quiet" data-testid="delete-conversation" disabled={liveHere} onClick={() => setConfirmingDelete(true)}>Delete</button>}
                        </div>
                    ) : null}
                </div>
                <div class="model-bar">
                    <label for="model-picker">Model</label>
                    <select id="model-picker" name="model" data-testid="model-picker" value={model ?? ""} disabled={busy || models === null || models.length === 0}
                        onChange={(event) => {
                            writeSetting(modelStorage, event.currentTarget.value);
                            setCurrent({ ...current, model: event.currentTarget.value });
                        }}>
                        {models === null ? <option value="">Loading the list…</option> : null}
                        {models !== null && models.length === 0 ? <option value="">No chat model found</option> : null}
                        {(models ?? []).map((candidate) => (
                            <option key={candidate.key} value={candidate.key}>
                                {`${candidate.key} · ${candidate.quantization.name} · ${bytes(candidate.size_bytes)}${candidate.loaded_instances.length > 0 ? " · loaded" : ""}`}
                            </option>
                        ))}
                    </select>
                    <span class="hint" data-testid="model-state">
                        {modelInfo && modelInfo.loaded_instances.length === 0 ? "not loaded: it loads with the first message" : ""}
                    </span>
                </div>
                {modelsError ? <p class="error" role="alert" data-testid="models-error">{modelsError}</p> : null}
                <SettingsPanel settings={current.settings} disabled={liveHere} onChange={(settings) => {
                    writeSetting(settingsStorage, JSON.stringify(settings));
                    update({ ...current, settings }, current.messages.length > 0);
                }} />
                <div class="messages" ref={scroller} data-testid="messages" aria-live="off"
                    onScroll={(event) => {
                        const element = event.currentTarget;
                        nearBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
                    }}>
                    {current.messages.length === 0 ? <p class="empty">Ask something. Enter sends, Shift+Enter starts a new line, Escape stops the answer.</p> : null}
                    {current.messages.map((message, index) => message.role === "user"
                        ? <article key={index} class="message user" data-testid="user-message"><div class="message-role">you</div><p>{message.content}</p></article>
                        : message.role === "tool"
                            ? <article key={index} class="message tool" data-testid="tool-message"><div class="message-role">tool result</div><pre>{message.content}</pre></article>
                            : <AssistantMessage key={index} message={message} live={liveHere && index === current.messages.length - 1 ? live.phase : null} />)}
                    {!liveHere && pendingCalls(current.messages).length > 0
                        ? <ToolResults key={`${current.id}-${current.messages.length}`} calls={pendingCalls(current.messages)} disabled={busy}
                            onSend={(results) => void respond([...current.messages, ...results], current.title)} />
                        : null}
                    <div ref={messagesEnd} />
                </div>
                <form class="composer" onSubmit={(event) => { event.preventDefault(); void send(); }}>
                    <label for="prompt" class="sr-only">Message</label>
                    <textarea id="prompt" name="prompt" ref={prompt} rows={2} data-testid="prompt-input" value={draft} placeholder="Message (Enter to send, Shift+Enter for a new line)"
                        onInput={(event) => setDraft(event.currentTarget.value)}
                        onKeyDown={(event) => {
                            if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
                                event.preventDefault();
                                void send();
                            }
                        }} />
                    {busy
                        ? <button type="button" class="danger" data-testid="stop" onClick={stop} aria-keyshortcuts="Escape">Stop</button>
                        : <button type="submit" class="primary" data-testid="send" disabled={draft.trim() === "" || model === null}>Send</button>}
                </form>
            </div>
        </section>
    );
}
