/**
 * The GGUF models tests run on, generated once into a git-ignored cache folder and reused across runs
 * (the folder name carries a version; bump it when the generators change what they write).
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rename, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { reasoningTemplate } from "./gguf/chatmlTemplate.js";
import { writeChatModel, writeEmbeddingModel } from "./gguf/fixtureModels.js";

const fixtureVersion = "v2";
export const fixtureCacheDir = path.join(fileURLToPath(new URL("../../.cache/fixtures", import.meta.url)), fixtureVersion);

export const fixtureFiles = {
    chat: path.join(fixtureCacheDir, "tiny-chat.gguf"),
    /** A chat model whose first generated token is always end-of-sequence. */
    chatThatStops: path.join(fixtureCacheDir, "tiny-chat-stops.gguf"),
    /** A chat model whose template opens a `<think>` block for every answer. */
    reasoningChat: path.join(fixtureCacheDir, "tiny-reasoner.gguf"),
    embedding: path.join(fixtureCacheDir, "tiny-embed.gguf"),
    /** A BERT reranker: rank pooling and a classification head. */
    reranker: path.join(fixtureCacheDir, "tiny-reranker.gguf"),
    /** A chat model with 64-wide attention heads, which a quantized KV cache (blocks of 32) needs. */
    wideHeadChat: path.join(fixtureCacheDir, "tiny-chat-wide-heads.gguf")
};

async function writeOnce(target: string, write: (file: string) => Promise<void>): Promise<void> {
    if (existsSync(target)) return;
    const partial = `${target}.${process.pid}.partial`;
    await write(partial);
    await rename(partial, target);
}

export async function ensureFixtures(): Promise<typeof fixtureFiles> {
    await mkdir(fixtureCacheDir, { recursive: true });
    await writeOnce(fixtureFiles.chat, (file) => writeChatModel(file, { name: "Tiny Chat" }));
    await writeOnce(fixtureFiles.chatThatStops, (file) => writeChatModel(file, { name: "Tiny Chat That Stops", endOfSequence: "always" }));
    await writeOnce(fixtureFiles.reasoningChat, (file) => writeChatModel(file, { name: "Tiny Reasoner", chatTemplate: reasoningTemplate }));
    await writeOnce(fixtureFiles.embedding, (file) => writeEmbeddingModel(file, { name: "Tiny Embed" }));
    await writeOnce(fixtureFiles.reranker, (file) => writeEmbeddingModel(file, { name: "Tiny Reranker", reranker: true, seed: 3 }));
    await writeOnce(fixtureFiles.wideHeadChat, (file) => writeChatModel(file, { name: "Tiny Chat Wide Heads", embeddingLength: 128, heads: 2 }));
    return fixtureFiles;
}

/** A fresh models folder under the system temp dir. */
export function temporaryFolder(prefix = "lmhost-test-"): Promise<string> {
    return mkdtemp(path.join(tmpdir(), prefix));
}

/** Places `source` at `<folder>/<relativePath>`, as a symlink (cheap) or a copy (when the test changes it). */
export async function placeModel(folder: string, relativePath: string, source: string, how: "link" | "copy" = "link"): Promise<string> {
    const target = path.join(folder, relativePath);
    await mkdir(path.dirname(target), { recursive: true });
    if (how === "link") await symlink(source, target);
    else await copyFile(source, target);
    return target;
}

/** The standard layout: the chat and the embedding model, each under publisher/repo. */
export async function standardModelsFolder(): Promise<string> {
    const fixtures = await ensureFixtures();
    const folder = await temporaryFolder();
    await placeModel(folder, "lmhost-test/Tiny-Chat-GGUF/Tiny-Chat-F16.gguf", fixtures.chat);
    await placeModel(folder, "lmhost-test/Tiny-Embed-GGUF/tiny-embed-F32.gguf", fixtures.embedding);
    return folder;
}
