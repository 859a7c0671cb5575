/** Starts the real server (real engine processes) on an ephemeral port. */
import { resolveConfig, type RawServeOptions } from "../../src/config.js";
import { silentLogger, type Logger } from "../../src/logger.js";
import { startServer, type RunningServer } from "../../src/server.js";

/** `ollamaPort: 0` opens the Ollama listener too, on an ephemeral port (its URL in `ollamaUrl`); it is off otherwise. */
export async function startTestServer(options: RawServeOptions & { modelsDir: string | string[] }, logger: Logger = silentLogger): Promise<RunningServer> {
    // One thread per engine keeps parallel test processes from fighting over two cores.
    // The machine's own Hugging Face cache and Ollama store stay out of tests unless a test names them.
    // The prebuilt binary, as CI has it (a developer may have run npm run build:engine).
    return startServer(resolveConfig({ port: 0, threads: 1, gpu: "off", engineBuild: "prebuilt", hfCache: false, ollamaModels: false, ...options }), logger);
}

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
    return fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
        ...init
    });
}
