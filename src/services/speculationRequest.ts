/** A request's or a load's speculative decoding, resolved against the catalog. */
import { InvalidRequest } from "../errors.js";
import type { CatalogEntry, ModelCatalog } from "../models/catalog/ModelCatalog.js";
import type { ModelInstance, SpeculationRequest } from "../models/lifecycle/ModelLifecycle.js";

export type SpeculationFields = { draftModel?: string; draftMaxTokens?: number; draftMinConfidence?: number; promptLookup?: boolean };

/** Throws InvalidRequest for both at once, or a draft that is no LLM; ModelNotFound for an unknown draft. */
export async function resolveSpeculation(catalog: ModelCatalog, fields: SpeculationFields): Promise<SpeculationRequest> {
    if (fields.draftModel !== undefined && fields.promptLookup === true) {
        throw new InvalidRequest("Choose one way to speculate: draft_model or prompt_lookup, not both.", "prompt_lookup", "conflicting_speculation");
    }
    for (const [field, value] of [["draft_max_tokens", fields.draftMaxTokens], ["draft_min_confidence", fields.draftMinConfidence]] as const) {
        if (value !== undefined && fields.draftModel === undefined) throw new InvalidRequest(`${field} applies to a draft model: set draft_model too.`, field);
    }
    const draft: CatalogEntry | undefined = fields.draftModel === undefined ? undefined : await catalog.resolve(fields.draftModel);
    if (draft !== undefined && draft.type !== "llm") {
        throw new InvalidRequest(`"${draft.id}" is an embedding model; a draft model must be an LLM with the same vocabulary.`, "draft_model", "invalid_draft_model");
    }
    return {
        ...(draft !== undefined ? { draft } : {}),
        ...(fields.draftMaxTokens !== undefined ? { draftMaxTokens: fields.draftMaxTokens } : {}),
        ...(fields.draftMinConfidence !== undefined ? { draftMinConfidence: fields.draftMinConfidence } : {}),
        ...(fields.promptLookup !== undefined ? { promptLookup: fields.promptLookup } : {})
    };
}

/** A request's draft model must be the one its instance drafts with: a loaded model's draft is its load's. */
export function checkDraftOf(instance: ModelInstance, wanted: SpeculationRequest): void {
    if (wanted.draft === undefined || wanted.draft.id === instance.speculation.draftModel) return;
    const now = instance.speculation.draftModel === null ? "without a draft model" : `with draft model "${instance.speculation.draftModel}"`;
    throw new InvalidRequest(`"${instance.id}" is loaded ${now}; unload it, or load it with draft_model "${wanted.draft.id}" ` +
        `(POST /api/v1/models/load or lmhost load --draft-model), to draft with that model.`, "draft_model", "draft_model_not_loaded");
}
