/**
 * Measures node-llama-cpp alone (no lmhost code) decoding one stream: run as its own process so that its
 * thread settings and UV_THREADPOOL_SIZE are its own. Prints one JSON line.
 *
 *   tsx bench/engineDecode.ts <model.gguf> <threads> <tokens>
 */
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [modelPath, threadsArg = "1", tokensArg = "128"] = process.argv.slice(2);
if (modelPath === undefined) throw new Error("usage: engineDecode <model.gguf> <threads> <tokens>");
const threads = Number(threadsArg);
const tokens = Number(tokensArg);

const llama = await getLlama({ build: "never", gpu: false, maxThreads: threads, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 1024, threads });
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
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? "default",
    promptTokens: prompt.length,
    generated,
    timeToFirstToken: (firstAt - started) / 1000,
    decodeTokensPerSecond: (generated - 1) / ((lastAt - firstAt) / 1000)
})}\n`);
process.exit(0);
