/**
 * The last minutes of the server's activity, minute by minute, for GET /lmhost/status: a ring of one slot per
 * minute, fed by ServerMetrics' countRequest and countCompletion. Fixed size, nothing to prune: a slot is
 * cleared when its minute comes round again. Means are kept as sums and counts, so a slot costs a few numbers.
 */

/** Wall-clock milliseconds (Date.now); tests pass a clock they move. */
export type WallClock = { now(): number };

export type MinuteActivity = {
    /** Clock time (ms) the minute starts at. */
    start: number;
    requests: number;
    /** Requests answered with a status of 400 or more. */
    errors: number;
    completions: number;
    completionTokens: number;
    /** Mean decode speed of the completions finished in the minute that measured one; null: none did. */
    tokensPerSecond: number | null;
    /** Mean time to first token (seconds) of the completions finished in the minute that generated one; null: none did. */
    timeToFirstToken: number | null;
};

/** A finished completion, as countCompletion sees it; null timings were not measured (and are not averaged). */
export type CompletionActivity = { completionTokens: number; tokensPerSecond: number | null; timeToFirstToken: number | null };

type Slot = {
    /** Minutes since the epoch this slot counts; null: never used. */
    minute: number | null;
    requests: number;
    errors: number;
    completions: number;
    completionTokens: number;
    speedSum: number;
    speedCount: number;
    firstTokenSum: number;
    firstTokenCount: number;
};

const minuteMs = 60_000;
/** Minutes GET /lmhost/status reports. */
export const recentMinutes = 15;

const emptySlot = (minute: number | null): Slot => ({
    minute, requests: 0, errors: 0, completions: 0, completionTokens: 0, speedSum: 0, speedCount: 0, firstTokenSum: 0, firstTokenCount: 0
});

export class RecentActivity {
    private readonly slots: Slot[];

    constructor(private readonly clock: WallClock, private readonly length = recentMinutes) {
        this.slots = Array.from({ length }, () => emptySlot(null));
    }

    countRequest(status: number): void {
        const slot = this.slot(this.currentMinute());
        slot.requests++;
        if (status >= 400) slot.errors++;
    }

    countCompletion(completion: CompletionActivity): void {
        const slot = this.slot(this.currentMinute());
        slot.completions++;
        slot.completionTokens += completion.completionTokens;
        if (completion.tokensPerSecond !== null) {
            slot.speedSum += completion.tokensPerSecond;
            slot.speedCount++;
        }
        if (completion.timeToFirstToken !== null) {
            slot.firstTokenSum += completion.timeToFirstToken;
            slot.firstTokenCount++;
        }
    }

    /** The last `length` minutes, oldest first, ending with the current one; minutes with nothing in them count zero. */
    minutes(): MinuteActivity[] {
        const current = this.currentMinute();
        return Array.from({ length: this.length }, (_, index) => {
            const minute = current - this.length + 1 + index;
            const stored = this.slots[this.indexOf(minute)]!;
            const slot = stored.minute === minute ? stored : emptySlot(minute);
            return {
                start: minute * minuteMs,
                requests: slot.requests,
                errors: slot.errors,
                completions: slot.completions,
                completionTokens: slot.completionTokens,
                tokensPerSecond: slot.speedCount > 0 ? slot.speedSum / slot.speedCount : null,
                timeToFirstToken: slot.firstTokenCount > 0 ? slot.firstTokenSum / slot.firstTokenCount : null
            };
        });
    }

    private currentMinute(): number {
        return Math.floor(this.clock.now() / minuteMs);
    }

    private indexOf(minute: number): number {
        return ((minute % this.length) + this.length) % this.length;
    }

    /** The slot of `minute`, cleared first if it last counted an older minute. */
    private slot(minute: number): Slot {
        const index = this.indexOf(minute);
        const slot = this.slots[index]!;
        if (slot.minute === minute) return slot;
        const fresh = emptySlot(minute);
        this.slots[index] = fresh;
        return fresh;
    }
}
