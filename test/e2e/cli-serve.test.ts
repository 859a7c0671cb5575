/**
 * `lmhost serve` as users run it: the built bin in its own process, configured by flags and environment.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { link, mkdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ensureFixtures, standardModelsFolder, temporaryFolder } from "../support/fixtures.js";
import { jsonPayloads, readEventStream } from "../support/sse.js";
import { postJson } from "../support/testServer.js";

const bin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const running: ChildProcessWithoutNullStreams[] = [];

/** `group`: the server leads a process group of its own, as a command typed in a terminal does. */
function serve(args: string[], env: Record<string, string> = {}, group = false) {
    const child = spawn(process.execPath, [bin, "serve", "--threads", "1", "--gpu", "off", "--no-hf-cache", "--no-ollama-models", ...args], {
        env: { ...process.env, ...env }, detached: group
    });
    running.push(child);
    let output = "";
    child.stdout.on("data", (data) => { output += data; });
    child.stderr.on("data", (data) => { output += data; });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const waitFor = async (pattern: RegExp) => {
        for (let i = 0; i < 300; i++) {
            const match = pattern.exec(output);
            if (match) return match;
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`timed out waiting for ${pattern} in:\n${output}`);
    };
    return { child, exited, waitFor, output: () => output };
}

/** Whether a fresh connection (not one kept alive from before) is refused. */
function connectionRefused(url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const probe = request(`${url}/api/v0/models`, { agent: false }, (response) => {
            response.resume();
            resolve(false);
        });
        probe.on("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
        probe.end();
    });
}

afterEach(() => {
    for (const child of running.splice(0)) child.kill("SIGKILL");
});

describe("lmhost serve", () => {
    it("documents every option and its environment variable in --help", () => {
        const { stdout, status } = spawnSync(process.execPath, [bin, "serve", "--help"], { encoding: "utf8" });
        expect(status).toBe(0);
        for (const [flag, variable] of [["--port", "LMHOST_PORT"], ["--host", "LMHOST_HOST"], ["--models-dir", "LMHOST_MODELS_DIR"],
            ["--threads", "LMHOST_THREADS"], ["--context-length", "LMHOST_CONTEXT_LENGTH"]]) {
            expect(stdout).toContain(flag);
            expect(stdout).toContain(variable);
        }
    });

    it("prints its URL, the models it found and its thread count, serves, and exits 0 on SIGTERM", async () => {
        const modelsDir = await standardModelsFolder();
        const server = serve(["--port", "0", "--models-dir", modelsDir]);
        const [, url] = await server.waitFor(/lmhost listening on (http:\/\/127\.0\.0\.1:\d+)/);
        await server.waitFor(new RegExp(`Found 2 models in ${modelsDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
        await server.waitFor(/Engine threads per model: 1/);
        const models = await (await fetch(`${url}/api/v0/models`)).json();
        expect(models.data.map((model: { id: string }) => model.id)).toEqual(["tiny-chat", "text-embedding-tiny-embed"]);
        server.child.kill("SIGTERM");
        expect(await server.exited).toBe(0);
    });

    it("takes its settings from LMHOST_* environment variables", async () => {
        const modelsDir = await temporaryFolder();
        const server = serve([], { LMHOST_PORT: "0", LMHOST_MODELS_DIR: modelsDir });
        const [, url] = await server.waitFor(/lmhost listening on (http:\/\/\S+)/);
        await server.waitFor(/No models found in .*put GGUF files at <folder>\/<publisher>\/<repo>\/<file>\.gguf/);
        expect(server.output()).toContain(modelsDir);
        expect((await fetch(`${url}/api/v0/models`)).status).toBe(200);
    });

    it("says in one line that the port is taken, and exits 1", async () => {
        const blocker = createServer().listen(0, "127.0.0.1");
        await new Promise((resolve) => blocker.once("listening", resolve));
        const port = (blocker.address() as { port: number }).port;
        const server = serve(["--port", String(port), "--models-dir", await temporaryFolder()]);
        expect(await server.exited).toBe(1);
        expect(server.output().trim()).toBe(`lmhost: port ${port} on 127.0.0.1 is already in use`);
        blocker.close();
    });

    it("warns that a models folder does not exist, and serves", async () => {
        const missing = path.join(await temporaryFolder(), "modles");
        const server = serve(["--port", "0", "--models-dir", missing]);
        await server.waitFor(/lmhost listening on/);
        expect(server.output()).toContain(`The models folder ${missing} does not exist (yet)`);
        server.child.kill("SIGTERM");
        expect(await server.exited).toBe(0);
    });

    it("says in one line that the models folder is not a folder, and exits 1", async () => {
        const file = path.join(await temporaryFolder(), "models.txt");
        await writeFile(file, "not a folder");
        const server = serve(["--port", "0", "--models-dir", file]);
        expect(await server.exited).toBe(1);
        expect(server.output().trim()).toBe(`lmhost: the models folder ${file} is not a folder`);
    });

    it("warns when it listens beyond loopback without an API key, and not with one", async () => {
        const modelsDir = await temporaryFolder();
        const open = serve(["--port", "0", "--host", "0.0.0.0", "--models-dir", modelsDir]);
        await open.waitFor(/lmhost listening on/);
        await open.waitFor(/Listening on 0\.0\.0\.0, beyond this machine, without an API key/);
        const keyed = serve(["--port", "0", "--host", "0.0.0.0", "--models-dir", modelsDir], { LMHOST_API_KEY: "secret-key" });
        await keyed.waitFor(/Engine threads per model/);
        expect(keyed.output()).not.toContain("without an API key");
    });

    it("on SIGTERM refuses new connections, lets running requests finish, ends those past --shutdown-timeout as userStopped, unloads and exits 0", async () => {
        // A long context, so the long stream is still generating when the timeout ends it.
        const server = serve(["--port", "0", "--models-dir", await standardModelsFolder(), "--shutdown-timeout", "1",
            "--context-length", "32768", "--parallel", "2", "--log-level", "debug"]);
        const [, url] = await server.waitFor(/lmhost listening on (http:\/\/127\.0\.0\.1:\d+)/);
        const stream = (maxTokens: number) => postJson(`${url}/api/v0/completions`, { model: "tiny-chat", prompt: "Once upon a time", max_tokens: maxTokens, stream: true });
        const long = await stream(-1);
        const longEvents = readEventStream(long);
        const short = await stream(20);
        server.child.kill("SIGTERM");
        await server.waitFor(/SIGTERM: no new requests/);
        await expect(connectionRefused(url!)).resolves.toBe(true);

        const shortChunks = jsonPayloads<Record<string, any>>((await readEventStream(short)).events);
        expect(shortChunks.at(-1)!.stats.stop_reason).toBe("maxPredictedTokensReached");
        const { events } = await longEvents;
        expect(events.at(-1)!.data).toBe("[DONE]");
        const longChunks = jsonPayloads<Record<string, any>>(events);
        expect(longChunks.at(-1)!.stats.stop_reason).toBe("userStopped");
        expect(longChunks.at(-2)!.choices[0].finish_reason).toBe("stop");

        expect(await server.exited).toBe(0);
        expect(server.output()).toContain("Ending the requests still running after 1 s");
        expect(server.output()).toMatch(/Unloading "tiny-chat": shutting down/);
        expect(server.output()).toContain("Stopped");
    });

    it("on Ctrl-C (SIGINT to the whole process group, as a terminal sends it) shuts down as gracefully as on SIGTERM", async () => {
        const server = serve(["--port", "0", "--models-dir", await standardModelsFolder(), "--shutdown-timeout", "1",
            "--context-length", "32768", "--log-level", "debug"], {}, true);
        const [, url] = await server.waitFor(/lmhost listening on (http:\/\/127\.0\.0\.1:\d+)/);
        const long = await postJson(`${url}/api/v0/completions`, { model: "tiny-chat", prompt: "Once upon a time", max_tokens: -1, stream: true });
        const longEvents = readEventStream(long);
        // The engine worker is generating: it is in the group too.
        await new Promise((resolve) => setTimeout(resolve, 300));
        process.kill(-server.child.pid!, "SIGINT");
        const { events } = await longEvents;
        expect(events.at(-1)!.data).toBe("[DONE]");
        const chunks = jsonPayloads<Record<string, any>>(events);
        expect(chunks.some((chunk) => chunk.error)).toBe(false);
        expect(chunks.at(-1)!.stats.stop_reason).toBe("userStopped");
        expect(await server.exited).toBe(0);
        expect(server.output()).toContain("SIGINT: no new requests");
        expect(server.output()).not.toMatch(/killed by SIGINT|engine_failure/);
    });

    it("stops gracefully on a signal that arrives during its first catalog scan", async () => {
        // Thousands of files (hard links of one model) keep the first scan busy for a while after the listen line.
        const folder = await temporaryFolder();
        const fixtures = await ensureFixtures();
        for (let repo = 0; repo < 40; repo++) {
            await mkdir(path.join(folder, "pub", `repo-${repo}-GGUF`), { recursive: true });
            await Promise.all(Array.from({ length: 100 }, (_, index) => link(fixtures.chat, path.join(folder, "pub", `repo-${repo}-GGUF`, `m-${repo}-${index}-F16.gguf`))));
        }
        const server = serve(["--port", "0", "--models-dir", folder]);
        await server.waitFor(/lmhost listening on/);
        server.child.kill("SIGTERM");
        expect(await server.exited).toBe(0);
        expect(server.output()).toContain("SIGTERM: no new requests");
        expect(server.output()).toContain("Stopped");
        expect(server.output()).not.toMatch(/Found \d+ models/);
    });

    it("rejects a bad flag value in one line and exits 1", async () => {
        const server = serve(["--port", "70000"]);
        expect(await server.exited).toBe(1);
        expect(server.output().trim()).toBe('lmhost: --port must be an integer from 0 to 65535, got "70000"');
    });

    it("with --ollama-port (or LMHOST_OLLAMA_PORT) also serves Ollama's API alone on that port, says where, and stops both on SIGTERM", async () => {
        expect(spawnSync(process.execPath, [bin, "serve", "--help"], { encoding: "utf8" }).stdout).toMatch(/--ollama-port <port>[^]*LMHOST_OLLAMA_PORT/);
        const server = serve(["--port", "0", "--models-dir", await temporaryFolder()], { LMHOST_OLLAMA_PORT: "0" });
        const [, url] = await server.waitFor(/lmhost listening on (http:\/\/127\.0\.0\.1:\d+)/);
        const [, ollamaUrl] = await server.waitFor(/Ollama's API listening on (http:\/\/127\.0\.0\.1:\d+)/);
        expect(ollamaUrl).not.toBe(url);
        expect((await fetch(`${url}/v1/models`)).status).toBe(200);
        const other = await fetch(`${ollamaUrl}/v1/models`);
        expect(other.status).toBe(404);
        expect(await other.json()).toEqual({ error: "Unknown route: GET /v1/models" });
        expect((await fetch(`${ollamaUrl}/health`)).status).toBe(200);
        server.child.kill("SIGTERM");
        expect(await server.exited).toBe(0);
        await expect(connectionRefused(ollamaUrl!)).resolves.toBe(true);
    });

    it("says in one line that the Ollama port is taken, naming the flag, and exits 1", async () => {
        const blocker = createServer().listen(0, "127.0.0.1");
        await new Promise((resolve) => blocker.once("listening", resolve));
        const port = (blocker.address() as { port: number }).port;
        const server = serve(["--port", "0", "--ollama-port", String(port), "--models-dir", await temporaryFolder()]);
        expect(await server.exited).toBe(1);
        expect(server.output().trim().split("\n").at(-1)).toBe(`lmhost: port ${port} on 127.0.0.1 (--ollama-port) is already in use; is Ollama itself running?`);
        blocker.close();
    });
});
