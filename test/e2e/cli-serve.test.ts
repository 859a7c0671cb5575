/**
 * `lmhost serve` as users run it: the built bin in its own process, configured by flags and environment.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { standardModelsFolder, temporaryFolder } from "../support/fixtures.js";

const bin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const running: ChildProcessWithoutNullStreams[] = [];

function serve(args: string[], env: Record<string, string> = {}) {
    const child = spawn(process.execPath, [bin, "serve", "--threads", "1", "--gpu", "off", "--no-hf-cache", "--no-ollama-models", ...args], {
        env: { ...process.env, ...env }
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

    it("rejects a bad flag value in one line and exits 1", async () => {
        const server = serve(["--port", "70000"]);
        expect(await server.exited).toBe(1);
        expect(server.output().trim()).toBe('lmhost: --port must be an integer from 0 to 65535, got "70000"');
    });
});
