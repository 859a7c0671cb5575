/**
 * Compiles the threadpool shim (native/threadpool-shim.c) at install, where Linux and a C compiler are found; it
 * takes well under a second. Without one lmhost runs as before, on the prebuilt binaries as they are, so this
 * never fails an install: it says what it did in one line. Plain JavaScript, since it runs before anything is built.
 *
 *   node scripts/build-native.mjs [--force]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../native/threadpool-shim.c", import.meta.url));
const output = fileURLToPath(new URL("../native/build/libthreadpool-shim.so", import.meta.url));
const say = (text) => console.log(`lmhost: ${text}`);

const modified = (file) => { try { return statSync(file).mtimeMs; } catch { return undefined; } };

if (process.platform !== "linux") {
    say("the threadpool shim is for Linux; skipped");
} else if (!process.argv.includes("--force") && (modified(output) ?? 0) > (modified(source) ?? Infinity)) {
    say("threadpool shim up to date");
} else {
    const compiler = process.env.CC || "cc";
    mkdirSync(fileURLToPath(new URL("../native/build/", import.meta.url)), { recursive: true });
    const result = spawnSync(compiler, ["-O2", "-shared", "-fPIC", "-Wall", "-o", output, source, "-ldl", "-lpthread"], { encoding: "utf8" });
    if (result.error) say(`no C compiler (${compiler}); engines run without the threadpool shim (README, Threads and engine builds)`);
    else if (result.status !== 0) say(`the threadpool shim did not compile; engines run without it:\n${result.stderr}`);
    else say("threadpool shim built (native/build/libthreadpool-shim.so)");
}
