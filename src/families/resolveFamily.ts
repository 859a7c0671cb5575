/**
 * Picks a model's family from its chat template's text, the way llama.cpp's chat code does: the most specific
 * markers first. Templates no family claims get the generic behaviour.
 */
import { commandR7bFamily } from "./commandR.js";
import { deepSeekR1Family, deepSeekV31Family } from "./deepseek.js";
import { functionaryV31Family, functionaryV32Family } from "./functionary.js";
import { gemmaFamily } from "./gemma.js";
import { genericFamily, genericReasoningFamily } from "./generic.js";
import { gptOssFamily } from "./gptOss.js";
import { hermesFamily, qwen3Family } from "./hermes.js";
import { apertusFamily, granite33Family, kimiK2Family } from "./jsonListCalls.js";
import { lfm2Family } from "./lfm2.js";
import { llama3Family } from "./llama3.js";
import { mistralNemoFamily, mistralTekkenFamily } from "./mistral.js";
import type { ModelFamily } from "./ModelFamily.js";
import { glmFamily, miniMaxFamily, qwen3CoderFamily, qwen3CoderReasoningFamily, seedOssFamily } from "./xmlCalls.js";

/** In the order they are tried. */
export const families: readonly ModelFamily[] = [
    gptOssFamily,
    commandR7bFamily,
    kimiK2Family,
    deepSeekV31Family,
    deepSeekR1Family,
    mistralTekkenFamily,
    mistralNemoFamily,
    functionaryV32Family,
    functionaryV31Family,
    llama3Family,
    seedOssFamily,
    miniMaxFamily,
    glmFamily,
    qwen3CoderReasoningFamily,
    qwen3CoderFamily,
    granite33Family,
    lfm2Family,
    apertusFamily,
    qwen3Family,
    hermesFamily,
    gemmaFamily,
    genericReasoningFamily
];

const resolved = new Map<string, ModelFamily>();

export function resolveFamily(template: string | null): ModelFamily {
    if (template === null) return genericFamily;
    let family = resolved.get(template);
    if (family === undefined) {
        family = families.find((candidate) => candidate.detect(template)) ?? genericFamily;
        resolved.set(template, family);
    }
    return family;
}

export { genericFamily };
