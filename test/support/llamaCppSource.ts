/**
 * llama.cpp's source as node-llama-cpp ships it (a git bundle), read at test time: the real chat templates of
 * `models/templates/`. The bundle is cloned once, bare, into the git-ignored cache; nothing is copied into the repo.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../../node_modules/node-llama-cpp/llama/gitRelease.bundle", import.meta.url));
const repository = fileURLToPath(new URL("../../.cache/llama.cpp.git", import.meta.url));

/** Clones the bundle into the cache once (a concurrent clone loses the rename race harmlessly). */
export async function ensureLlamaCppSource(): Promise<string> {
    if (existsSync(repository)) return repository;
    await mkdir(path.dirname(repository), { recursive: true });
    const partial = `${repository}.${process.pid}.partial`;
    execFileSync("git", ["clone", "--bare", "--quiet", bundle, partial], { stdio: "ignore" });
    try {
        await rename(partial, repository);
    } catch {
        execFileSync("rm", ["-rf", partial]);
    }
    return repository;
}

const git = (args: string[]) => execFileSync("git", ["--git-dir", repository, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

/** The file names in `models/templates/` (`Qwen-Qwen3-0.6B.jinja`, ...). */
export function llamaCppTemplateNames(): string[] {
    return git(["ls-tree", "--name-only", "HEAD", "models/templates/"]).split("\n")
        .map((line) => path.basename(line)).filter((name) => name.endsWith(".jinja")).sort();
}

export function llamaCppTemplate(name: string): string {
    return git(["show", `HEAD:models/templates/${name}`]);
}
