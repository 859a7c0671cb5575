/**
 * lmhost's commands as subprocesses against a live server: ls, ps, load, unload, status, get (from a local
 * stand-in for the Hugging Face Hub) and chat (piped, and interactive through a pseudo-terminal).
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { lmhostBin, runCli } from "../support/cli.js";
import { ensureFixtures, standardModelsFolder, temporaryFolder } from "../support/fixtures.js";
import { startHubStandIn, type HubStandIn } from "../support/hubStandIn.js";
import { startTestServer } from "../support/testServer.js";

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

describe("lmhost chat in a terminal", () => {
    it("streams answers turn by turn with tokens per second and time to first token, until /exit", async () => {
        // `script` gives the command a pseudo-terminal, as a user's shell would.
        const child = spawn("script", ["-qfec", `${process.execPath} ${lmhostBin} chat tiny-chat --max-tokens 5`, "/dev/null"], { env: { ...process.env, ...env } });
        let output = "";
        child.stdout.on("data", (data) => { output += data; });
        const waitFor = async (pattern: RegExp, count = 1) => {
            for (let i = 0; i < 400 && (output.match(new RegExp(pattern, "g")) ?? []).length < count; i++) await new Promise((resolve) => setTimeout(resolve, 25));
            expect((output.match(new RegExp(pattern, "g")) ?? []).length, output).toBeGreaterThanOrEqual(count);
        };
        await waitFor(/Chatting with tiny-chat/);
        child.stdin.write("hello\n");
        await waitFor(/tok\/s, first token/);
        child.stdin.write("and again\n");
        await waitFor(/tok\/s, first token/, 2);
        child.stdin.write("/exit\n");
        const code = await new Promise((resolve) => child.on("exit", resolve));
        expect(code).toBe(0);
    });
});
