/**
 * Counts tokens with node-llama-cpp directly, in the test process: an independent check that the server's
 * `usage` reports the engine's real token counts.
 */
import { getLlama, type LlamaModel } from "node-llama-cpp";

const models = new Map<string, Promise<LlamaModel>>();

export async function referenceTokenCount(modelPath: string, text: string): Promise<number> {
    let model = models.get(modelPath);
    if (!model) {
        model = getLlama({ build: "never", gpu: false }).then((llama) => llama.loadModel({ modelPath }));
        models.set(modelPath, model);
    }
    return (await model).tokenize(text, true).length;
}
