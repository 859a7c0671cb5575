/**
 * Finds stop strings in streamed text. Text that could be the start of a stop string is held back until the
 * next piece decides it, so a stop string split across tokens is never sent and never included in the output.
 */
export class StopStringDetector {
    private readonly stops: string[];
    private held = "";
    private stoppedAt: string | null = null;

    constructor(stops: readonly string[]) {
        this.stops = stops.filter((stop) => stop.length > 0);
    }

    /** The stop string that ended the text; null while none has. */
    get stoppedBy(): string | null {
        return this.stoppedAt;
    }

    get stopped(): boolean {
        return this.stoppedAt !== null;
    }

    /** Adds generated text; returns the text that is now safe to emit. */
    push(text: string): string {
        if (this.stopped) return "";
        const buffer = this.held + text;
        let cut = -1;
        for (const stop of this.stops) {
            const index = buffer.indexOf(stop);
            if (index !== -1 && (cut === -1 || index < cut)) {
                cut = index;
                this.stoppedAt = stop;
            }
        }
        if (cut !== -1) {
            this.held = "";
            return buffer.slice(0, cut);
        }
        const keep = this.longestPartialStopSuffix(buffer);
        this.held = buffer.slice(buffer.length - keep);
        return buffer.slice(0, buffer.length - keep);
    }

    /** Generation ended without a stop string: release what was held back. */
    flush(): string {
        const rest = this.stopped ? "" : this.held;
        this.held = "";
        return rest;
    }

    private longestPartialStopSuffix(buffer: string): number {
        let longest = 0;
        for (const stop of this.stops) {
            for (let length = Math.min(stop.length - 1, buffer.length); length > longest; length--) {
                if (buffer.endsWith(stop.slice(0, length))) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
