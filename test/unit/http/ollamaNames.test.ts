import { describe, expect, it } from "vitest";
import { parseKeepAlive } from "../../../src/http/routes/ollama/keepAlive.js";
import { catalogReference, findByOllamaName, ollamaName } from "../../../src/models/catalog/ollamaNames.js";

const entry = (id: string, relativePath: string, source = "models folder") => ({ id, source, candidate: { baseId: id, quantization: "Q4_K_M", relativePath, publisher: "p", repo: "r" } });

describe("Ollama names", () => {
    const fromOllama = entry("llama3.2-3b", "ollama/library/llama3.2/3b", "Ollama");
    const fromUser = entry("qwen-coder", "ollama/someone/qwen-coder/latest", "Ollama");
    const fromFolder = entry("tiny-chat", "lmhost-test/Tiny-Chat-GGUF/tiny-chat-F16.gguf");

    it("keeps the names of Ollama's store and gives other models the latest tag", () => {
        expect(ollamaName(fromOllama)).toBe("llama3.2:3b");
        expect(ollamaName(fromUser)).toBe("someone/qwen-coder:latest");
        expect(ollamaName(fromFolder)).toBe("tiny-chat:latest");
    });

    it("finds a model by its name, a missing tag meaning latest, ignoring case", () => {
        const entries = [fromOllama, fromUser, fromFolder];
        expect(findByOllamaName("llama3.2:3b", entries)).toBe(fromOllama);
        expect(findByOllamaName("Tiny-Chat", entries)).toBe(fromFolder);
        expect(findByOllamaName("someone/qwen-coder", entries)).toBe(fromUser);
        expect(findByOllamaName("llama3.2", entries)).toBeNull();
        expect(catalogReference("tiny-chat:latest")).toBe("tiny-chat");
    });
});

describe("keep_alive", () => {
    it.each([
        [300, 300], ["300", 300], ["5m", 300], ["1h30m", 5400], ["1.5s", 2], ["300ms", 1], [0, 0], ["0", 0], ["0s", 0], [-1, null], ["-1", null], ["-1m", null]
    ] as const)("%j is %j seconds", (value, seconds) => {
        expect(parseKeepAlive(value)).toBe(seconds);
    });

    it("refuses what is no duration", () => {
        expect(() => parseKeepAlive("soon")).toThrow(/keep_alive/);
        expect(() => parseKeepAlive("5 minutes")).toThrow(/keep_alive/);
    });
});
