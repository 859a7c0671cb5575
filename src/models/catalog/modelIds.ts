/**
 * Gives every model in the catalog an id no other model shares, and resolves the forms a request may use.
 *
 * An id is the model's base id (see baseModelId) when no other file has the same one. Files that share a
 * base id are told apart by their quantization (`qwen3-14b@q6_k`); if that still collides, by their path under
 * the models folder without `.gguf` (`publisher/repo/file`); as a last resort by a `-2`, `-3`... suffix, in
 * path order. Requests may name a model by its id, by `base@quant`, by `publisher/repo` (when that folder
 * holds one model) or by its path under the models folder; matching ignores case.
 */

export type IdCandidate = {
    baseId: string;
    quantization: string;
    /** Path under its models folder, with forward slashes. */
    relativePath: string;
    publisher: string;
    repo: string;
};

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
        const group = groups.get(key(item));
        if (group) group.push(item);
        else groups.set(key(item), [item]);
    }
    return groups;
}

export const quantizedId = (candidate: IdCandidate) => `${candidate.baseId}@${candidate.quantization.toLowerCase()}`;
const pathId = (candidate: IdCandidate) => candidate.relativePath.replace(/\.gguf$/i, "").toLowerCase();

/** Returns the ids in the order of `candidates`. */
export function assignModelIds(candidates: IdCandidate[]): string[] {
    const ids = new Map<IdCandidate, string>();
    const levels = [(c: IdCandidate) => c.baseId, quantizedId, pathId];
    let unresolved = candidates;
    for (const level of levels) {
        const next: IdCandidate[] = [];
        for (const [id, group] of groupBy(unresolved, level)) {
            if (group.length === 1) ids.set(group[0]!, id);
            else next.push(...group);
        }
        unresolved = next;
    }
    for (const [id, group] of groupBy(unresolved, pathId)) {
        [...group].sort((a, b) => a.relativePath.localeCompare(b.relativePath))
            .forEach((candidate, index) => ids.set(candidate, index === 0 ? id : `${id}-${index + 1}`));
    }
    return candidates.map((candidate) => ids.get(candidate)!);
}

export type Resolution<T> = { kind: "found"; item: T } | { kind: "ambiguous"; ids: string[] } | { kind: "none" };

/** Finds what a request's `model` names among items carrying their id and candidate facts. */
export function resolveModelReference<T extends { id: string; candidate: IdCandidate }>(requested: string, items: T[]): Resolution<T> {
    const wanted = requested.trim().toLowerCase();
    const matchers: Array<(item: T) => boolean> = [
        (item) => item.id.toLowerCase() === wanted,
        (item) => quantizedId(item.candidate) === wanted || item.candidate.relativePath.toLowerCase() === wanted || pathId(item.candidate) === wanted,
        (item) => `${item.candidate.publisher}/${item.candidate.repo}`.toLowerCase() === wanted || item.candidate.baseId === wanted
    ];
    for (const matches of matchers) {
        const found = items.filter(matches);
        if (found.length === 1) return { kind: "found", item: found[0]! };
        if (found.length > 1) return { kind: "ambiguous", ids: found.map((item) => item.id) };
    }
    return { kind: "none" };
}
