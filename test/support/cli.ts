/** Runs the built `lmhost` command as a subprocess, as users run it. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const lmhostBin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export type CliResult = { code: number | null; stdout: string; stderr: string };

export function runCli(args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [lmhostBin, ...args], { env: { ...process.env, ...options.env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (data) => { stdout += data; });
        child.stderr.on("data", (data) => { stderr += data; });
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`lmhost ${args.join(" ")} timed out:\n${stdout}\n${stderr}`));
        }, options.timeoutMs ?? 30_000);
        child.on("exit", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
        child.stdin.end(options.input ?? "");
    });
}
