/**
 * The stored-responses store, in memory and in a folder (`--responses-dir`): what lands on disk and with which
 * permissions, what a fresh server reads back, deletion and displacement, and what it refuses to touch.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Logger } from "../../../src/logger.js";
import { openResponseStore, ResponseFiles } from "../../../src/services/ResponseFiles.js";
import { newStoredId, ResponseStore, storedIdPattern, type StoredResponse } from "../../../src/services/ResponseStore.js";
import { temporaryFolder } from "../../support/fixtures.js";

type Entry = StoredResponse<{ id: string; text: string }, { id: string; text: string }>;

function recordingLogger(): Logger & { warnings: string[] } {
    const warnings: string[] = [];
    return { warnings, info() {}, debug() {}, error() {}, warn: (line) => void warnings.push(line) };
}

const entry = (id: string, text = "hello"): Entry => ({
    response: { id, text: `answer to ${text}` }, input: [{ id: "msg_1", text }], conversation: [{ id: "msg_1", text }, { id: "msg_2", text: `answer to ${text}` }]
});

/** A file as the store writes it, with a chosen time stored. */
const fileText = (id: string, storedAt: number) => JSON.stringify({ format: 1, id, storedAt, entry: entry(id) });

const jsonFiles = async (folder: string) => (await readdir(folder)).filter((name) => name.endsWith(".json")).sort();

async function open(folder: string, logger = recordingLogger(), capacity = 1000) {
    return { store: await openResponseStore<Entry["response"], Entry["input"][number]>(folder, logger, capacity), logger };
}

describe("ResponseStore in memory", () => {
    it("drops the oldest beyond its capacity and forgets deleted ones", () => {
        const store = new ResponseStore<Entry["response"], Entry["input"][number]>(2);
        const [a, b, c] = [newStoredId(), newStoredId(), newStoredId()];
        store.put(a, entry(a));
        store.put(b, entry(b));
        store.put(c, entry(c));
        expect(store.get(a)).toBeUndefined();
        expect(store.get(c)?.response.id).toBe(c);
        expect(store.delete(b)).toBe(true);
        expect(store.delete(b)).toBe(false);
    });

    it("hands out ids of the one format files may be named by", () => {
        expect(newStoredId()).toMatch(storedIdPattern);
        for (const foreign of ["../resp_0", "resp_../../etc/passwd", "resp_ABC", `resp_${"0".repeat(32)}/x`, `resp_${"0".repeat(32)}\0`]) {
            expect(storedIdPattern.test(foreign)).toBe(false);
        }
    });
});

describe("ResponseStore with a folder", () => {
    it("writes one private JSON file per response, into a private folder it creates, and leaves no partial file", async () => {
        const folder = path.join(await temporaryFolder("lmhost-responses-"), "stored");
        const { store, logger } = await open(folder);
        expect((await stat(folder)).mode & 0o777).toBe(0o700);
        const id = newStoredId();
        store.put(id, entry(id));
        await store.flush();
        expect(await readdir(folder)).toEqual([`${id}.json`]);
        expect((await stat(path.join(folder, `${id}.json`))).mode & 0o777).toBe(0o600);
        expect(JSON.parse(await readFile(path.join(folder, `${id}.json`), "utf8"))).toMatchObject({ format: 1, id, entry: entry(id) });
        expect(logger.warnings).toEqual([]);
    });

    it("reads its responses back in a fresh instance, keeping their order for later displacement", async () => {
        const folder = await temporaryFolder("lmhost-responses-");
        const first = (await open(folder, recordingLogger(), 3)).store;
        const ids = [newStoredId(), newStoredId(), newStoredId()];
        for (const id of ids) {
            first.put(id, entry(id, id));
            // Distinct times stored: the order back is by them.
            await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await first.flush();
        const { store: second } = await open(folder, recordingLogger(), 3);
        for (const id of ids) expect(second.get(id)).toEqual(entry(id, id));
        const next = newStoredId();
        second.put(next, entry(next));
        await second.flush();
        expect(second.get(ids[0]!)).toBeUndefined();
        expect(await jsonFiles(folder)).toEqual([...ids.slice(1), next].map((id) => `${id}.json`).sort());
    });

    it("removes a deleted response's file, even one deleted right after it was stored", async () => {
        const folder = await temporaryFolder("lmhost-responses-");
        const { store } = await open(folder);
        const [kept, deletedLater, deletedAtOnce] = [newStoredId(), newStoredId(), newStoredId()];
        store.put(kept, entry(kept));
        store.put(deletedLater, entry(deletedLater));
        await store.flush();
        expect(store.delete(deletedLater)).toBe(true);
        store.put(deletedAtOnce, entry(deletedAtOnce));
        expect(store.delete(deletedAtOnce)).toBe(true);
        await store.flush();
        expect(await jsonFiles(folder)).toEqual([`${kept}.json`]);
        expect((await open(folder)).store.get(deletedLater)).toBeUndefined();
    });

    it("removes the file of a response displaced by the capacity bound", async () => {
        const folder = await temporaryFolder("lmhost-responses-");
        const { store } = await open(folder, recordingLogger(), 2);
        const ids = [newStoredId(), newStoredId(), newStoredId()];
        for (const id of ids) store.put(id, entry(id));
        await store.flush();
        expect(await jsonFiles(folder)).toEqual(ids.slice(1).map((id) => `${id}.json`).sort());
    });

    it("loads the newest `capacity` by the time stored and removes the older files", async () => {
        const folder = await temporaryFolder("lmhost-responses-");
        const ids = [newStoredId(), newStoredId(), newStoredId(), newStoredId()];
        // Written out of order: the time stored, not the name or the file's date, decides.
        const times = [4000, 1000, 3000, 2000];
        for (const [index, id] of ids.entries()) await writeFile(path.join(folder, `${id}.json`), fileText(id, times[index]!));
        const { store } = await open(folder, recordingLogger(), 2);
        expect(store.get(ids[0]!)).toBeDefined();
        expect(store.get(ids[2]!)).toBeDefined();
        expect(store.get(ids[1]!)).toBeUndefined();
        expect(await jsonFiles(folder)).toEqual([ids[0]!, ids[2]!].map((id) => `${id}.json`).sort());
        // The next put displaces the oldest of those loaded (time 3000), not the newest.
        const next = newStoredId();
        store.put(next, entry(next));
        await store.flush();
        expect(store.get(ids[2]!)).toBeUndefined();
        expect(store.get(ids[0]!)).toBeDefined();
    });

    it("skips files that do not parse or are not its own, with a warning, and starts anyway", async () => {
        const folder = await temporaryFolder("lmhost-responses-");
        const [good, corrupt, wrongShape, wrongFormat, misnamed] = [newStoredId(), newStoredId(), newStoredId(), newStoredId(), newStoredId()];
        await writeFile(path.join(folder, `${good}.json`), fileText(good, 1000));
        await writeFile(path.join(folder, `${corrupt}.json`), "{\"format\": 1, \"id\": ");
        await writeFile(path.join(folder, `${wrongShape}.json`), JSON.stringify({ format: 1, id: wrongShape, storedAt: 1, entry: { response: {} } }));
        await writeFile(path.join(folder, `${wrongFormat}.json`), JSON.stringify({ format: 99, id: wrongFormat, storedAt: 1, entry: entry(wrongFormat) }));
        await writeFile(path.join(folder, `${misnamed}.json`), fileText(good, 2000));
        // Not of the id format: never read, never warned about, never removed.
        await writeFile(path.join(folder, "notes.json"), "not json either");
        await mkdir(path.join(folder, "chats"));
        const { store, logger } = await open(folder);
        expect(store.get(good)).toEqual(entry(good));
        for (const id of [corrupt, wrongShape, wrongFormat, misnamed]) expect(store.get(id)).toBeUndefined();
        expect(logger.warnings).toHaveLength(4);
        expect(logger.warnings.join("\n")).toContain(`${corrupt}.json`);
        // Left for the user to look at.
        expect(existsSync(path.join(folder, `${corrupt}.json`))).toBe(true);
        expect(existsSync(path.join(folder, "notes.json"))).toBe(true);
    });

    it("removes partial files whose writer is long gone, and leaves younger ones", async () => {
        const folder = await temporaryFolder("lmhost-responses-");
        const id = newStoredId();
        const old = path.join(folder, `${id}.json.1.partial`);
        const young = path.join(folder, `${id}.json.2.partial`);
        await writeFile(old, "{");
        await writeFile(young, "{");
        const hourAgo = new Date(Date.now() - 3600_000);
        await utimes(old, hourAgo, hourAgo);
        const { store, logger } = await open(folder);
        expect(store.get(id)).toBeUndefined();
        expect(existsSync(old)).toBe(false);
        expect(existsSync(young)).toBe(true);
        expect(logger.warnings).toEqual([]);
    });

    it("never builds a path from an id of a foreign format", async () => {
        const parent = await temporaryFolder("lmhost-responses-");
        const folder = path.join(parent, "stored");
        const victim = path.join(parent, "victim.json");
        await writeFile(victim, "keep me");
        const { store } = await open(folder);
        // What clients can send: GET and DELETE look in memory only, and miss.
        expect(store.get("../victim")).toBeUndefined();
        expect(store.delete("../victim")).toBe(false);
        // And the file layer refuses such ids outright, even if asked directly.
        const logger = recordingLogger();
        const { files } = await ResponseFiles.open<Entry["response"], Entry["input"][number]>(folder, logger, 10);
        for (const id of ["../victim", "../escape", "/tmp/escape", `resp_${"0".repeat(32)}/../../victim`]) {
            files.save(id, entry(id));
            files.remove(id);
        }
        await files.flush();
        expect(await readFile(victim, "utf8")).toBe("keep me");
        expect((await readdir(parent)).sort()).toEqual(["stored", "victim.json"]);
        expect(await readdir(folder)).toEqual([]);
        expect(logger.warnings).toHaveLength(8);
    });

    it("keeps a response in memory, with a warning, when its file cannot be written", async () => {
        const folder = await temporaryFolder("lmhost-responses-");
        const { store, logger } = await open(folder);
        // The folder replaced by a file: every write fails (ENOTDIR), as a full or read-only disk's would, even as root.
        await rm(folder, { recursive: true });
        await writeFile(folder, "");
        const id = newStoredId();
        expect(() => store.put(id, entry(id))).not.toThrow();
        await store.flush();
        expect(store.get(id)).toEqual(entry(id));
        expect(logger.warnings).toHaveLength(1);
        expect(logger.warnings[0]).toContain(id);
        expect(() => store.delete(id)).not.toThrow();
        await store.flush();
    });

    it("fails to open a folder it cannot create", async () => {
        const parent = await temporaryFolder("lmhost-responses-");
        await writeFile(path.join(parent, "file"), "");
        await expect(open(path.join(parent, "file", "stored"))).rejects.toThrow();
    });
});
