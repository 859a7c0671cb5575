/** Facts about the machine a benchmark ran on, printed with every table. */
import { appendFileSync, mkdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { cpuBudget } from "../src/config.js";

export function machineFacts(): string {
    const cpu = cpus()[0]?.model ?? "unknown CPU";
    return `${cpu}, ${cpus().length} logical CPUs (CPU budget ${cpuBudget()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
        `Node ${process.version}, ${process.platform}-${process.arch}`;
}

export function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Prints a benchmark's report and appends it to bench/results/<name>-<date>.md. */
export function recordResult(name: string, report: string): void {
    console.log(report);
    const results = new URL("./results/", import.meta.url);
    mkdirSync(results, { recursive: true });
    appendFileSync(new URL(`${name}-${new Date().toISOString().slice(0, 10)}.md`, results), `${report}\n`);
}
