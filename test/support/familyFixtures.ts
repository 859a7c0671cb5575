/**
 * Writes the scripted family models (test/support/gguf/familyModels.ts) into the fixture cache, once per
 * version of their spec, and lays them out in a models folder as `lmhost-families/<family>-<case>/...gguf`
 * (model id `<family>-<case>`).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { fixtureCacheDir, placeModel, temporaryFolder } from "./fixtures.js";
import { familyModels, type FamilyCase } from "./gguf/familyModels.js";
import { writeScriptedModel } from "./gguf/scriptedModel.js";
import { ensureLlamaCppSource, llamaCppTemplate } from "./llamaCppSource.js";

export type FamilyModel = { key: string; case: FamilyCase; id: string; file: string };

export async function familyModelsFolder(keys: string[] = Object.keys(familyModels)): Promise<{ folder: string; models: FamilyModel[] }> {
    await ensureLlamaCppSource();
    const folder = await temporaryFolder("lmhost-families-");
    const models: FamilyModel[] = [];
    const cache = path.join(fixtureCacheDir, "families");
    await mkdir(cache, { recursive: true });
    for (const key of keys) {
        const spec = familyModels[key]!;
        const chatTemplate = llamaCppTemplate(spec.template);
        for (const [scriptCase, script] of Object.entries(spec.scripts) as Array<[FamilyCase, string]>) {
            const id = `${key}-${scriptCase}`;
            const digest = createHash("sha256").update(JSON.stringify({ spec, script, chatTemplate, writer: 1 })).digest("hex").slice(0, 12);
            const file = path.join(cache, `${id}-${digest}.gguf`);
            if (!existsSync(file)) {
                const partial = `${file}.${process.pid}.partial`;
                await writeScriptedModel(partial, {
                    name: id, chatTemplate, specialTokens: spec.specialTokens, bos: spec.bos, eos: spec.eos, script,
                    ...(spec.extraTokenIds ? { extraTokenIds: spec.extraTokenIds } : {})
                });
                await rename(partial, file);
            }
            await placeModel(folder, `lmhost-families/${id}/${id}.gguf`, file);
            models.push({ key, case: scriptCase, id, file });
        }
    }
    return { folder, models };
}
