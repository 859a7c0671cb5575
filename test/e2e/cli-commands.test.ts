/**
 * lmhost's commands as subprocesses against a live server: ls, ps, load, unload, status, get (from a local
 * stand-in for the Hugging Face Hub) and chat (piped, and interactive through a pseudo-terminal).
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { lmhostBin, runCli } from "../support/cli.js";
import { ensureFixtures, standardModelsFolder, temporaryFolder } from "../support/fixtures.js";
import { startHubStandIn, type HubStandIn } from "../support/hubStandIn.js";
import { startTestServer } from "../support/testServer.js";
import { chatmlTemplate } from "../support/gguf/chatmlTemplate.js";
import { writeScriptedModel } from "../support/gguf/scriptedModel.js";
import { metricsWhen, metricValue, readMetrics } from "../support/metrics.js";

let server: RunningServer;
let hub: HubStandIn;
let modelsDir: string;
let env: Record<string, string>;
const port = () => new URL(server.url).port;

beforeAll(async () => {
    modelsDir = await standardModelsFolder();
    server = await startTestServer({ modelsDir });
    hub = await startHubStandIn({ "tiny-org/Downloaded-GGUF": [{ path: "Downloaded-Chat-Q4_K_M.gguf", content: await readFile((await ensureFixtures()).chat) }] });
    env = { LMHOST_PORT: port(), LMHOST_MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url, LMHOST_HF_CACHE: "off", LMHOST_OLLAMA_MODELS: "off" };
});
afterAll(async () => {
    await server.close();
    await hub.close();
});

describe("lmhost status", () => {
    it("says the server is running, and exits 3 when none is", async () => {
        const running = await runCli(["status"], { env });
        expect(running.code).toBe(0);
        expect(running.stdout).toContain(`lmhost is running at http://127.0.0.1:${port()}: 2 models found, none loaded`);
        const json = JSON.parse((await runCli(["status", "--json"], { env })).stdout);
        expect(json).toMatchObject({ running: true, models: 2, loaded: [] });
        const stopped = await runCli(["status", "--port", "1"], { env });
        expect(stopped.code).toBe(3);
        expect(stopped.stderr.trim()).toBe("lmhost: no lmhost server is running at http://127.0.0.1:1");
    });

    it("tells a server that does not answer from no server, and ls does not read the folders instead", async () => {
        // Accepts connections and answers nothing, as a server stuck in work would.
        const silent = net.createServer(() => {});
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        const silentPort = String((silent.address() as net.AddressInfo).port);
        try {
            const status = await runCli(["status", "--port", silentPort], { env });
            expect(status.code).toBe(1);
            expect(status.stderr).toMatch(/accepts connections but did not answer within 3 s/);
            const ls = await runCli(["ls", "--port", silentPort], { env });
            expect(ls.code).toBe(1);
            expect(ls.stdout).toBe("");
        } finally {
            silent.close();
        }
    });
});

describe("lmhost ls", () => {
    it("lists models with size, quantization, architecture, context and load state", async () => {
        const { code, stdout } = await runCli(["ls"], { env });
        expect(code).toBe(0);
        const lines = stdout.trim().split("\n");
        expect(lines[0]).toMatch(/^MODEL\s+TYPE\s+ARCH\s+QUANT\s+SIZE\s+CONTEXT\s+LOADED\s+PUBLISHER$/);
        expect(lines[1]).toMatch(/^tiny-chat\s+llm\s+llama\s+F16\s+\d+\.\d KB\s+2048\s+-\s+lmhost-test$/);
    });

    it("prints JSON with --json", async () => {
        const models = JSON.parse((await runCli(["ls", "--json"], { env })).stdout);
        expect(models.map((model: { key: string; loaded: boolean }) => [model.key, model.loaded])).toEqual([["tiny-chat", false], ["text-embedding-tiny-embed", false]]);
    });

    it("reads the models folder itself when no server is running, describing models as the server does", async () => {
        const { code, stdout } = await runCli(["ls", "--port", "1"], { env });
        expect(code).toBe(0);
        expect(stdout).toMatch(/tiny-chat\s+llm.*\?/);
        expect(stdout).toContain("load state unknown");
        const fromServer = JSON.parse((await runCli(["ls", "--json"], { env })).stdout) as Array<Record<string, unknown>>;
        const fromDisk = JSON.parse((await runCli(["ls", "--json", "--port", "1"], { env })).stdout) as Array<Record<string, unknown>>;
        const withoutState = (models: Array<Record<string, unknown>>) => models.map(({ loaded: _loaded, loaded_instances: _instances, ...model }) => model);
        expect(withoutState(fromDisk)).toEqual(withoutState(fromServer));
        expect(fromDisk[0]).toMatchObject({ key: "tiny-chat", capabilities: { trained_for_tool_use: true } });
    });
});

describe("lmhost load, ps and unload", () => {
    it("loads with options, shows the instance, and unloads it", async () => {
        const loaded = await runCli(["load", "tiny-chat", "--context-length", "512", "--parallel", "2", "--ttl", "120", "--identifier", "cli-chat"], { env });
        expect(loaded.code).toBe(0);
        expect(loaded.stdout).toMatch(/^Loaded tiny-chat as "cli-chat" in \d+\.\d\d s\n$/);
        const table = await runCli(["ps"], { env });
        expect(table.stdout).toMatch(/cli-chat\s+tiny-chat\s+llm\s+512\s+2\s+120s\s+explicit\s+0/);
        const [instance] = JSON.parse((await runCli(["ps", "--json"], { env })).stdout);
        expect(instance).toMatchObject({ id: "cli-chat", model: "tiny-chat", config: { context_length: 512, parallel: 2 }, ttl_seconds: 120 });
        // Instance ids match ignoring case; what is printed is the id unloaded.
        const unloaded = await runCli(["unload", "CLI-Chat"], { env });
        expect(unloaded.stdout).toBe('Unloaded "cli-chat"\n');
        expect((await runCli(["ps"], { env })).stdout).toBe("No models are loaded.\n");
    });

    it("warns of a context length beyond what the model was trained with", async () => {
        const loaded = await runCli(["load", "tiny-chat", "--context-length", "4096", "--identifier", "stretched"], { env });
        expect(loaded.code).toBe(0);
        expect(loaded.stderr).toBe("lmhost: warning: Context length 4096 for tiny-chat is beyond the 2048 tokens it was trained with: answers that reach past 2048 tokens are likely to degrade.\n");
        expect((await runCli(["load", "tiny-chat", "--context-length", "1024", "--identifier", "fits"], { env })).stderr).toBe("");
        await runCli(["unload", "--all"], { env });
    });

    it("unloads everything with --all", async () => {
        await runCli(["load", "tiny-chat"], { env });
        await runCli(["load", "text-embedding-tiny-embed"], { env });
        expect((await runCli(["unload", "--all", "--json"], { env })).stdout).toContain('"unloaded"');
        expect(JSON.parse((await runCli(["ps", "--json"], { env })).stdout)).toEqual([]);
    });

    it("fails in one line with meaningful exit codes", async () => {
        const unknown = await runCli(["load", "nope"], { env });
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toMatch(/^lmhost: Model "nope" not found\. Available models: tiny-chat, text-embedding-tiny-embed\n$/);
        const usage = await runCli(["load"], { env });
        expect(usage.code).toBe(2);
        const badFlag = await runCli(["load", "tiny-chat", "--ttl", "soon"], { env });
        expect(badFlag.code).toBe(2);
        expect(badFlag.stderr).toBe('lmhost: --ttl must be a positive integer, got "soon"\n');
        const noServer = await runCli(["ps", "--port", "1"], { env });
        expect(noServer.code).toBe(3);
    });
});

describe("lmhost get, load and chat, end to end", () => {
    it("downloads from the Hub stand-in, then loads and chats with the downloaded model", async () => {
        const got = await runCli(["get", "tiny-org/Downloaded-GGUF"], { env });
        expect(got.code, got.stderr).toBe(0);
        const file = path.join(modelsDir, "tiny-org", "Downloaded-GGUF", "Downloaded-Chat-Q4_K_M.gguf");
        expect(got.stdout).toBe(`Saved ${file}\n`);
        expect((await stat(file)).size).toBeGreaterThan(100_000);
        // The catalog rescans on every listing: the running server sees the new model at once.
        expect((await runCli(["load", "downloaded-chat", "--identifier", "fresh"], { env })).code).toBe(0);
        const chat = await runCli(["chat", "fresh", "--max-tokens", "6"], { env, input: "Tell me about the weather\n" });
        expect(chat.code, chat.stderr).toBe(0);
        expect(chat.stdout.length).toBeGreaterThan(1);
        expect(chat.stderr).toMatch(/^\(\d+\.\d tok\/s, first token \d+\.\d\d s, maxPredictedTokensReached\)\n$/);
    });

    it("says why a download cannot be found", async () => {
        const missing = await runCli(["get", "tiny-org/Nothing-GGUF"], { env });
        expect(missing.code).toBe(1);
        expect(missing.stderr).toMatch(/^lmhost: tiny-org\/Nothing-GGUF was not found on http:\/\/127\.0\.0\.1:\d+/);
    });

    it("prints JSON from get --json", async () => {
        const folder = await temporaryFolder();
        const got = await runCli(["get", "tiny-org/Downloaded-GGUF@Q4_K_M", "--json", "--models-dir", folder], { env });
        expect(JSON.parse(got.stdout)).toMatchObject({ repo: "tiny-org/Downloaded-GGUF", files: [path.join(folder, "tiny-org", "Downloaded-GGUF", "Downloaded-Chat-Q4_K_M.gguf")] });
    });
});

/** `lmhost chat` in a pseudo-terminal (`script`), as a user's shell runs it. */
function terminalChat(args: string) {
    const child = spawn("script", ["-qfec", `${process.execPath} ${lmhostBin} chat ${args}`, "/dev/null"], { env: { ...process.env, ...env } });
    const session = { output: "", child };
    child.stdout.on("data", (data) => { session.output += data; });
    const count = (pattern: RegExp) => (session.output.match(new RegExp(pattern, "g")) ?? []).length;
    return {
        get output() { return session.output; },
        type: (keys: string) => child.stdin.write(keys),
        async waitFor(pattern: RegExp, times = 1) {
            for (let i = 0; i < 600 && count(pattern) < times; i++) await new Promise((resolve) => setTimeout(resolve, 25));
            expect(count(pattern), session.output).toBeGreaterThanOrEqual(times);
        },
        exited: new Promise<number | null>((resolve) => child.on("exit", resolve))
    };
}

describe("lmhost chat in a terminal", () => {
    it("streams answers turn by turn with tokens per second and time to first token, until /exit", async () => {
        const chat = terminalChat("tiny-chat --max-tokens 5");
        await chat.waitFor(/Chatting with tiny-chat/);
        chat.type("hello\n");
        await chat.waitFor(/tok\/s, first token/);
        chat.type("and again\n");
        await chat.waitFor(/tok\/s, first token/, 2);
        chat.type("/exit\n");
        expect(await chat.exited).toBe(0);
    });

    it("stops an answer on Ctrl-C (the server stops generating) and keeps the session", async () => {
        const stoppedBefore = metricValue(await readMetrics(server.url), "lmhost_completions_total", 'model="tiny-chat",stop_reason="userStopped"');
        const chat = terminalChat("tiny-chat --max-tokens 2000");
        await chat.waitFor(/Chatting with tiny-chat/);
        chat.type("\x03");
        await chat.waitFor(/Ctrl-D or \/exit leaves/);
        chat.type("write a lot\n");
        const before = chat.output.length;
        for (let i = 0; i < 400 && chat.output.length < before + 40; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        chat.type("\x03");
        await chat.waitFor(/\(stopped\)/);
        const stopped = await metricsWhen(server.url, (text) => metricValue(text, "lmhost_completions_total", 'model="tiny-chat",stop_reason="userStopped"') > stoppedBefore);
        expect(metricValue(stopped, "lmhost_completions_total", 'model="tiny-chat",stop_reason="userStopped"')).toBe(stoppedBefore + 1);
        // The prompt again: the session goes on.
        await chat.waitFor(/\x1b\[0J> /, 3);
        chat.type("/exit\n");
        expect(await chat.exited).toBe(0);
    });

    it("drops the oldest turns when the conversation outgrows the context, and says so", async () => {
        expect((await runCli(["load", "tiny-chat", "--context-length", "160", "--identifier", "small-context"], { env })).code).toBe(0);
        try {
            const chat = terminalChat("small-context --max-tokens 4");
            await chat.waitFor(/Chatting with small-context/);
            const long = "tell me about the weather in the mountains and by the sea in spring and in autumn please ".repeat(2);
            for (let turn = 1; turn <= 5; turn++) {
                chat.type(`${long}\n`);
                await chat.waitFor(/tok\/s, first token/, turn);
            }
            expect(chat.output).toContain("dropped its oldest turn");
            chat.type("/exit\n");
            expect(await chat.exited).toBe(0);
        } finally {
            await runCli(["unload", "small-context"], { env });
        }
    });

    it("keeps control characters the model writes away from the terminal", async () => {
        await mkdir(path.join(modelsDir, "lmhost-test", "Escapes-GGUF"), { recursive: true });
        await writeScriptedModel(path.join(modelsDir, "lmhost-test", "Escapes-GGUF", "escapes.gguf"), {
            name: "escapes", chatTemplate: chatmlTemplate, specialTokens: { "<|im_start|>": "control", "<|im_end|>": "control" }, bos: null, eos: "<|im_end|>",
            script: "Hi \x1b[2J\x1b]0;owned\x07there\rbye<|im_end|>"
        });
        const chat = terminalChat("escapes");
        await chat.waitFor(/Chatting with escapes/);
        chat.type("hello\n");
        await chat.waitFor(/tok\/s, first token/);
        chat.type("/exit\n");
        expect(await chat.exited).toBe(0);
        const answer = chat.output.slice(chat.output.indexOf("hello"));
        expect(answer).toContain("Hi ");
        expect(answer).toContain("therebye");
        expect(answer).not.toMatch(/\x1b\[2J|\x07|\x1b\]0/);
    });
});
