/** What the lmhost commands share: exit codes, one-line errors, the server address, and output helpers. */
import { Command, Option } from "commander";

/** Exit codes: 0 success; 1 the request failed; 2 bad usage; 3 no lmhost server at the address. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, noServer: 3 } as const;

export class CliError extends Error {
    constructor(message: string, readonly exitCode: number = ExitCode.failed) {
        super(message);
    }
}

export function serverOptions(command: Command): Command {
    return command
        .addOption(new Option("--host <host>", "the server's address").env("LMHOST_HOST").default("127.0.0.1"))
        .addOption(new Option("--port <port>", "the server's port").env("LMHOST_PORT").default("1234"))
        .addOption(new Option("--api-key <key>", "the server's API key, when it requires one").env("LMHOST_API_KEY"));
}

export type ServerAddress = { host?: string; port?: string; apiKey?: string };

export function serverUrl(options: ServerAddress): string {
    const host = !options.host || options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
    return `http://${host.includes(":") ? `[${host}]` : host}:${options.port ?? "1234"}`;
}

/** Runs a command's action, turning failures into one line on stderr and a meaningful exit code. */
export function action<Args extends unknown[]>(run: (...args: Args) => Promise<void>): (...args: Args) => Promise<void> {
    return async (...args: Args) => {
        try {
            await run(...args);
        } catch (error) {
            const exitCode = error instanceof CliError ? error.exitCode : ExitCode.failed;
            process.stderr.write(`lmhost: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(exitCode);
        }
    };
}

export function formatBytes(bytes: number): string {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit++;
    }
    return `${value.toFixed(unit === 0 ? 0 : value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A plain text table with a header row and columns padded to fit. */
export function table(headers: string[], rows: string[][]): string {
    const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)));
    const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
    return [line(headers), ...rows.map(line)].join("\n");
}

export function printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
