import { ensureFixtures } from "./fixtures.js";

/** Writes the fixture models once per run, before any test file needs them. */
export default async function setup(): Promise<void> {
    await ensureFixtures();
}
