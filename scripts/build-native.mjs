/**
 * What `npm install` compiles for this machine, where it can (README, Threads and engine builds). Each part is
 * skipped with a one-line note when its tools are missing or it fails; an install never fails here, and without
 * them lmhost runs on the prebuilt binaries as they are. Plain JavaScript: it runs before anything is built.
 *
 * 1. The threadpool shim (native/threadpool-shim.c; a C compiler; well under a second).
 * 2. llama.cpp's CPU backend for this CPU (git, cmake and a C/C++ compiler; about 25 s on 2 cores): the variant
 *    of ggml's CPU library the prebuilt binaries would load here (zen4, haswell, ...), compiled from the llama.cpp
 *    source node-llama-cpp ships for the same release. The prebuilt variants are compiled in a way that evaluates
 *    F16 prompts at about half the speed of the same code compiled here (bench/results/prompt-evaluation-*.md).
 *    LMHOST_BUILD_CPU_BACKEND=0 skips it.
 *
 *   node scripts/build-native.mjs [--force]
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const nativeBuild = path.join(root, "native", "build");
const force = process.argv.includes("--force");
const say = (text) => console.log(`lmhost: ${text}`);
const modified = (file) => { try { return statSync(file).mtimeMs; } catch { return undefined; } };
const runs = (command, args = ["--version"]) => spawnSync(command, args, { stdio: "ignore" }).status === 0;

function buildThreadpoolShim() {
    const source = path.join(root, "native", "threadpool-shim.c");
    const output = path.join(nativeBuild, "libthreadpool-shim.so");
    if (process.platform !== "linux") return say("the threadpool shim is for Linux; skipped");
    if (!force && (modified(output) ?? 0) > (modified(source) ?? Infinity)) return say("threadpool shim up to date");
    const compiler = process.env.CC || "cc";
    mkdirSync(nativeBuild, { recursive: true });
    const result = spawnSync(compiler, ["-O2", "-shared", "-fPIC", "-Wall", "-o", output, source, "-ldl", "-lpthread"], { encoding: "utf8" });
    if (result.error === undefined && result.status === 0) return say("threadpool shim built (native/build/libthreadpool-shim.so)");
    // An older build of another source must not stay preloaded.
    rmSync(output, { force: true });
    if (result.error) say(`no C compiler (${compiler}); engines run without the threadpool shim`);
    else say(`the threadpool shim did not compile; engines run without it:\n${result.stderr}`);
}

/** The CPU variant the prebuilt binaries load on this machine, from a process that loads them. */
function prebuiltCpuVariant(workFolder) {
    const probe = path.join(workFolder, "probe.mjs");
    // A file, not node -e: node-llama-cpp tests its binary in a fork that inherits the parent's node options.
    writeFileSync(probe, `
        import { readFileSync } from "node:fs";
        const { getLlama } = await import(${JSON.stringify(createRequire(import.meta.url).resolve("node-llama-cpp"))});
        await getLlama({ gpu: false, build: "never", usePrebuiltBinaries: true, logLevel: "disabled" });
        const match = /libggml-cpu-([A-Za-z0-9_.]+)\\.so/.exec(readFileSync("/proc/self/maps", "utf8"));
        console.log(match ? match[1] : "");
    `);
    const environment = { ...process.env };
    delete environment.NODE_LLAMA_CPP_CPU_BACKEND_DIR;
    const result = spawnSync(process.execPath, [probe], { encoding: "utf8", env: environment, timeout: 60_000 });
    return result.status === 0 ? result.stdout.trim().split("\n").at(-1) : "";
}

/** A package's folder as Node resolves it from `from` (its exports may hide package.json and data files). */
function packageFolder(name, from = root) {
    for (let folder = from; ; folder = path.dirname(folder)) {
        const candidate = path.join(folder, "node_modules", name);
        if (existsSync(path.join(candidate, "package.json"))) return candidate;
        if (path.dirname(folder) === folder) return path.join(root, "node_modules", name);
    }
}

function buildCpuBackend() {
    if (process.platform !== "linux" || process.arch !== "x64") return say("a CPU backend is compiled on x64 Linux only; the prebuilt one is used");
    if (process.env.LMHOST_BUILD_CPU_BACKEND === "0") return say("CPU backend not compiled (LMHOST_BUILD_CPU_BACKEND=0)");
    const missing = ["git", "cmake", process.env.CXX || "c++"].filter((tool) => !runs(tool));
    if (missing.length > 0) return say(`no ${missing.join(", ")}: engines use the prebuilt CPU backend (F16 prompts about half as fast)`);
    const bindingPackage = packageFolder("node-llama-cpp");
    const release = JSON.parse(readFileSync(path.join(bindingPackage, "llama", "binariesGithubRelease.json"), "utf8")).release;
    const bundle = path.join(bindingPackage, "llama", "gitRelease.bundle");
    const prebuiltBase = path.join(packageFolder("@node-llama-cpp/linux-x64", bindingPackage), "bins", "linux-x64", "libggml-base.so");
    if (!existsSync(bundle) || !existsSync(prebuiltBase)) return say("no llama.cpp source or prebuilt binaries found; engines use the prebuilt CPU backend");
    const output = path.join(nativeBuild, "ggml-cpu");
    const work = mkdtempSync(path.join(os.tmpdir(), "lmhost-cpu-backend-"));
    try {
        const variant = prebuiltCpuVariant(work);
        if (!variant) return say("could not tell which CPU variant the prebuilt binaries load; engines use the prebuilt CPU backend");
        const stamp = JSON.stringify({ release, variant });
        const stampFile = path.join(output, "build.json");
        if (!force && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === stamp) return say(`CPU backend (${variant}) up to date`);
        const started = Date.now();
        const step = (command, args) => {
            const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
            if (result.status !== 0) throw new Error(`${command} ${args[0]}: ${(result.stderr || result.stdout || String(result.error)).trim().split("\n").slice(-5).join("\n")}`);
        };
        const source = path.join(work, "llama.cpp");
        const build = path.join(work, "build");
        step("git", ["clone", "--quiet", "-c", "advice.detachedHead=false", bundle, source]);
        step("cmake", ["-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=ON",
            // The prebuilt binaries' configuration: variants loaded at run time, each checking the CPU it runs on.
            "-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON", "-DGGML_NATIVE=OFF", "-DGGML_OPENMP=OFF",
            // Its one search path is its own folder (cmake's own would add an empty entry: the working directory).
            "-DCMAKE_SKIP_BUILD_RPATH=ON", "-DCMAKE_SHARED_LINKER_FLAGS=-Wl,-rpath,$ORIGIN", "-DCMAKE_MODULE_LINKER_FLAGS=-Wl,-rpath,$ORIGIN",
            "-DLLAMA_BUILD_COMMON=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_TOOLS=OFF",
            "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_CURL=OFF"]);
        step("cmake", ["--build", build, "--target", `ggml-cpu-${variant}`, "-j", String(os.availableParallelism())]);
        rmSync(output, { recursive: true, force: true });
        mkdirSync(output, { recursive: true });
        copyFileSync(path.join(build, "bin", `libggml-cpu-${variant}.so`), path.join(output, `libggml-cpu-${variant}.so`));
        // It links ggml-base by its versioned name; this link makes it the prebuilt one the process has loaded.
        symlinkSync(path.relative(output, prebuiltBase), path.join(output, "libggml-base.so.0"));
        writeFileSync(stampFile, `${stamp}\n`);
        say(`CPU backend (${variant}) compiled in ${Math.round((Date.now() - started) / 1000)} s (native/build/ggml-cpu)`);
    } catch (error) {
        rmSync(output, { recursive: true, force: true });
        say(`the CPU backend did not compile; engines use the prebuilt one:\n${error instanceof Error ? error.message : String(error)}`);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

// Whatever goes wrong (a read-only folder, an unwritable temporary folder, another node-llama-cpp layout), the
// install goes on without the part that failed.
for (const [part, build] of [["threadpool shim", buildThreadpoolShim], ["CPU backend", buildCpuBackend]]) {
    try {
        build();
    } catch (error) {
        say(`the ${part} was not built (${error instanceof Error ? error.message : String(error)}); lmhost runs without it`);
    }
}
