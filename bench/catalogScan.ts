/**
 * How long listing a large models folder takes: the first scan (every header read), a warm listing (headers
 * cached by size and mtime), and a listing asked for while a rescan runs, through GET /api/v0/models on a real
 * server. The files are hard links of one test model, so 10,000 of them cost no disk; each is still read as its
 * own file. The first scan is also timed with one header read at a time.
 *
 *   npx tsx bench/catalogScan.ts [--files 10000]
 */
import { link, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { silentLogger } from "../src/logger.js";
import { ModelCatalog } from "../src/models/catalog/ModelCatalog.js";
import { ensureFixtures, temporaryFolder } from "../test/support/fixtures.js";
import { startTestServer } from "../test/support/testServer.js";
import { machineFacts, median } from "./machine.js";

const { values } = parseArgs({ options: { files: { type: "string", default: "10000" } } });
const fileCount = Number(values.files);
const fixtures = await ensureFixtures();
const folder = await temporaryFolder("lmhost-bench-catalog-");
const perRepo = 100;
for (let repo = 0; repo < Math.ceil(fileCount / perRepo); repo++) {
    const repoFolder = path.join(folder, `publisher-${repo % 10}`, `repo-${repo}-GGUF`);
    await mkdir(repoFolder, { recursive: true });
    await Promise.all(Array.from({ length: Math.min(perRepo, fileCount - repo * perRepo) }, (_, index) =>
        link(fixtures.chat, path.join(repoFolder, `model-${repo}-${index}-Q4_K_M.gguf`))));
}

const seconds = (start: number) => (performance.now() - start) / 1000;
const timed = async (work: () => Promise<unknown>) => { const start = performance.now(); await work(); return seconds(start); };

const sequentialFirstScan = await timed(() => new ModelCatalog([folder], silentLogger, { headerReadConcurrency: 1 }).list());

const server = await startTestServer({ modelsDir: folder });
const listModels = async () => {
    const response = await fetch(`${server.url}/api/v0/models`);
    const body = await response.json() as { data: unknown[] };
    if (body.data.length !== fileCount) throw new Error(`listed ${body.data.length} of ${fileCount} models`);
};
const firstScan = await timed(listModels);
const warm: number[] = [];
for (let round = 0; round < 7; round++) warm.push(await timed(listModels));
// A file that changed is read again; the listings asked for meanwhile answer from the last complete scan.
await writeFile(path.join(folder, "publisher-0", "repo-0-GGUF", "late-arrival-Q4_K_M.gguf"), await import("node:fs/promises").then((fs) => fs.readFile(fixtures.chat)));
const rescan = listModels().catch(() => undefined);
const duringRescan = await timed(() => fetch(`${server.url}/api/v0/models`).then((response) => response.json()));
await rescan;
await server.close();
await rm(folder, { recursive: true, force: true });

const report = [
    `# Listing a folder of ${fileCount.toLocaleString("en")} GGUF files (${new Date().toISOString().slice(0, 10)})`,
    "",
    machineFacts(),
    "",
    "| listing | seconds |",
    "|---|---|",
    `| first scan, one header read at a time | ${sequentialFirstScan.toFixed(2)} |`,
    `| first scan, GET /api/v0/models (8 header reads at a time) | ${firstScan.toFixed(2)} |`,
    `| warm listing, GET /api/v0/models (median of ${warm.length}) | ${median(warm).toFixed(3)} |`,
    `| listing during a rescan (answers from the last scan) | ${duringRescan.toFixed(3)} |`
].join("\n");
console.log(report);
await writeFile(new URL(`./results/catalog-scan-${new Date().toISOString().slice(0, 10)}.md`, import.meta.url), `${report}\n`);
