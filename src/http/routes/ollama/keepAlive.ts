/** Ollama's keep_alive: a Go duration ("5m", "1h30m", "300ms", "-1m") or seconds, as a number or numeric text. */
import { InvalidRequest } from "../../../errors.js";

const unitSeconds: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds the model stays loaded after the request; null: for ever (a negative keep_alive). Throws InvalidRequest. */
export function parseKeepAlive(value: string | number): number | null {
    let seconds: number;
    if (typeof value === "number") seconds = value;
    else if (/^\s*-?\d+(\.\d+)?\s*$/.test(value)) seconds = Number(value);
    else {
        const match = /^(-?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(value.trim());
        if (!match) throw new InvalidRequest(`Invalid keep_alive "${value}": give seconds or a duration such as "5m", "1h30m" or "-1".`, "keep_alive", "invalid_duration");
        seconds = [...match[2]!.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)].reduce((total, [, amount, unit]) => total + Number(amount) * unitSeconds[unit!]!, 0);
        if (match[1] === "-") seconds = -seconds;
    }
    if (!Number.isFinite(seconds)) throw new InvalidRequest(`Invalid keep_alive ${JSON.stringify(value)}.`, "keep_alive", "invalid_duration");
    return seconds < 0 ? null : Math.ceil(seconds);
}

/**
 * A request's keep_alive as the inference service takes it: the idle TTL from this request on, and the TTL of a
 * load it starts (a positive one; 0 and "for ever" are set on the instance once loaded).
 */
export function keepAliveTerms(value: string | number | undefined): { keepAliveSeconds?: number | null; ttlSeconds?: number } {
    if (value === undefined) return {};
    const seconds = parseKeepAlive(value);
    return { keepAliveSeconds: seconds, ...(seconds !== null && seconds > 0 ? { ttlSeconds: seconds } : {}) };
}
