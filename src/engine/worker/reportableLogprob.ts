/**
 * A token the sampler chose can still have probability 0 in the reported distribution (a grammar forcing it,
 * or a temperature so small the softmax underflows), and log(0) is -Infinity, which JSON cannot carry.
 * OpenAI reports such tokens as -9999.
 */
export function reportableLogprob(probability: number): number {
    const logprob = Math.log(probability);
    return Number.isFinite(logprob) ? Math.max(logprob, -9999) : -9999;
}
