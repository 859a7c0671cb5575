import type { Clock } from "../../../src/models/lifecycle/ModelLifecycle.js";

/** A clock that moves only when told to, firing due timers in order. */
export class FakeClock implements Clock {
    private time = 0;
    private nextHandle = 1;
    private readonly timers = new Map<number, { at: number; callback: () => void }>();

    now(): number {
        return this.time;
    }

    setTimeout(callback: () => void, milliseconds: number): unknown {
        const handle = this.nextHandle++;
        this.timers.set(handle, { at: this.time + milliseconds, callback });
        return handle;
    }

    clearTimeout(handle: unknown): void {
        this.timers.delete(handle as number);
    }

    get pendingTimers(): number {
        return this.timers.size;
    }

    advance(milliseconds: number): void {
        const until = this.time + milliseconds;
        for (;;) {
            const due = [...this.timers].filter(([, timer]) => timer.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
            if (due === undefined) break;
            this.timers.delete(due[0]);
            this.time = due[1].at;
            due[1].callback();
        }
        this.time = until;
    }
}
