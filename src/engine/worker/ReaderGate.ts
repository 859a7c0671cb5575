/**
 * Holds a generation between tokens while the server has not passed its earlier tokens on (its client does not
 * read): the generation keeps its sequence and its place, and spends no compute, until resumed or aborted.
 */
export class ReaderGate {
    private opened: Promise<void> | null = null;
    private open: () => void = () => {};

    get closed(): boolean {
        return this.opened !== null;
    }

    close(): void {
        if (this.opened !== null) return;
        this.opened = new Promise<void>((resolve) => { this.open = resolve; });
    }

    reopen(): void {
        this.opened = null;
        this.open();
    }

    /** Resolves when the gate reopens or `signal` aborts. */
    passage(signal: AbortSignal): Promise<void> {
        if (this.opened === null || signal.aborted) return Promise.resolve();
        return new Promise<void>((resolve) => {
            const aborted = () => resolve();
            signal.addEventListener("abort", aborted, { once: true });
            void this.opened!.then(() => {
                signal.removeEventListener("abort", aborted);
                resolve();
            });
        });
    }
}
