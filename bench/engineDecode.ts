/**
 * Measures node-llama-cpp alone (no lmhost code) decoding one stream: run as its own process so that its
 * thread settings and UV_THREADPOOL_SIZE are its own. Prints one JSON line.
 *
 *   tsx bench/engineDecode.ts <model.gguf> <threads> <tokens> [prebuilt|openmp] [sequences] [context per sequence]
 */
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { offerCompiledCpuBackend } from "../src/engine/engineEnvironment.js";

const [modelPath, threadsArg = "1", tokensArg = "128", build = "prebuilt", sequencesArg = "1", contextArg = "1024"] = process.argv.slice(2);
if (modelPath === undefined) throw new Error("usage: engineDecode <model.gguf> <threads> <tokens>");
const threads = Number(threadsArg);
const tokens = Number(tokensArg);

// As an engine process does: the CPU backend compiled at install, where there is one (LMHOST_CPU_BACKEND=0: not).
if (build === "prebuilt") offerCompiledCpuBackend();
const llama = await getLlama({
    build: "never", gpu: false, maxThreads: threads, logLevel: LlamaLogLevel.error,
    ...(build === "openmp" ? { usePrebuiltBinaries: false, cmakeOptions: { GGML_OPENMP: "ON" } } : {})
});
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: Number(contextArg), sequences: Number(sequencesArg), threads });
const sequence = context.getSequence();
const prompt = model.tokenize("The quick brown fox jumps over the lazy dog. Tell me about the weather today, please.", false);
const started = performance.now();
let firstAt = 0;
let lastAt = 0;
let generated = 0;
for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
    void token;
    lastAt = performance.now();
    if (generated === 0) firstAt = lastAt;
    if (++generated >= tokens) break;
}
process.stdout.write(`${JSON.stringify({
    threads,
    build: llama.buildType,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? "default",
    promptTokens: prompt.length,
    generated,
    timeToFirstToken: (firstAt - started) / 1000,
    decodeTokensPerSecond: (generated - 1) / ((lastAt - firstAt) / 1000)
})}\n`);
process.exit(0);
