/**
 * A small Pino-compatible logger (what Fastify's `loggerInstance` needs) that writes readable lines to stderr.
 */
import type { Logger } from "./logger.js";

export const logLevels = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

type LogArgs = [unknown, ...unknown[]];

function format(args: LogArgs): string {
    const [first, second] = args;
    if (first instanceof Error) return first.stack ?? first.message;
    if (typeof first === "string") return first;
    const error = (first as { err?: unknown })?.err;
    const message = typeof second === "string" ? second : "";
    return error instanceof Error ? `${message} ${error.stack ?? error.message}`.trim() : message;
}

export class ConsoleLogger implements Logger {
    constructor(public level: LogLevel = "info", private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

    private log(level: Exclude<LogLevel, "silent">, args: LogArgs): void {
        if (logLevels.indexOf(level) < logLevels.indexOf(this.level)) return;
        const text = format(args);
        if (text !== "") this.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}`);
    }

    debug(...args: LogArgs): void { this.log("debug", args); }
    trace(...args: LogArgs): void { this.log("debug", args); }
    info(...args: LogArgs): void { this.log("info", args); }
    warn(...args: LogArgs): void { this.log("warn", args); }
    error(...args: LogArgs): void { this.log("error", args); }
    fatal(...args: LogArgs): void { this.log("error", args); }
    silent(): void {}
    child(): ConsoleLogger { return this; }
}
