/**
 * Writes the tiny random-weight test models into a models folder, so the server can be tried without
 * downloading anything. Their output is gibberish; everything around it is real.
 *
 *   npm run demo-models -- <models-folder>
 */
import path from "node:path";
import { ensureFixtures, placeModel } from "../test/support/fixtures.js";

const folder = process.argv[2];
if (folder === undefined) {
    console.error("usage: npm run demo-models -- <models-folder>");
    process.exit(1);
}
const fixtures = await ensureFixtures();
for (const [source, target] of [
    [fixtures.chat, "lmhost-demo/Tiny-Chat-GGUF/Tiny-Chat-F16.gguf"],
    [fixtures.embedding, "lmhost-demo/Tiny-Embed-GGUF/tiny-embed-F32.gguf"]
] as const) {
    console.log(await placeModel(path.resolve(folder), target, source, "copy"));
}
