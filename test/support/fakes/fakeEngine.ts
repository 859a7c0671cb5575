/** Engines that load instantly and do nothing, for lifecycle unit tests (API behaviour is tested on the real engine). */
import type { Engine } from "../../../src/engine/EngineProcess.js";
import type { LoadOptions, ResourceEstimate } from "../../../src/engine/protocol.js";
import type { EngineStarter } from "../../../src/models/lifecycle/ModelLifecycle.js";

export type FakeEngine = Engine & { options: LoadOptions; crash(): void };

export function fakeEngineStarter(estimateFor: (modelId: string) => ResourceEstimate = () => ({ modelRam: 100, contextRam: 10, vram: 0 })) {
    const started: FakeEngine[] = [];
    const loads: string[] = [];
    const starter: EngineStarter = async (modelId, options, admit) => {
        loads.push(modelId);
        const estimate = estimateFor(modelId);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await admit(estimate);
        // Loading the weights, after admission, as a real engine does.
        await new Promise((resolve) => setTimeout(resolve, 5));
        let markExited!: (reason: string) => void;
        const exited = new Promise<string>((resolve) => { markExited = resolve; });
        const engine: FakeEngine = {
            options,
            estimate,
            alive: true,
            pid: undefined,
            heldGenerations: 0,
            exited,
            model: {
                contextLength: options.contextLength, parallel: options.parallel, threads: options.threads, sizeBytes: 0, prependsBos: false,
                runtime: { name: "fake", version: "0", supportedFormats: ["gguf"] }
            },
            generate: () => Promise.reject(new Error("fake engine")),
            embed: () => Promise.reject(new Error("fake engine")),
            countPromptTokens: () => Promise.reject(new Error("fake engine")),
            tokenize: () => Promise.reject(new Error("fake engine")),
            detokenize: () => Promise.reject(new Error("fake engine")),
            rank: () => Promise.reject(new Error("fake engine")),
            cancelAll: () => {},
            dispose: async () => {
                (engine as { alive: boolean }).alive = false;
                markExited("disposed");
            },
            crash: () => {
                (engine as { alive: boolean }).alive = false;
                markExited("crashed");
            }
        };
        started.push(engine);
        return engine;
    };
    return { starter, started, loads };
}
