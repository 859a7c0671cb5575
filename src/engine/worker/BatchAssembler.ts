/**
 * Keeps the running generations of one context in step, so their tokens decode in the same batch.
 *
 * node-llama-cpp samples each sequence's token after a batch separately (on the libuv pool, which the engine
 * keeps at one thread), and its dispatch loop decodes again at once if any token is queued. So the first
 * generation to get its token queued the next one while the others were still sampling, and the next batch
 * left without them: two streams decoded in alternating batches of one, no faster together than one alone
 * (measured on the 743 MB benchmark model: 23 tok/s for one stream and for two; llama-server 24 and 41).
 *
 * Here a generation that wants its next token waits until every running generation has taken its token
 * from the last batch; then all ask together, and the batch is dispatched (this is node-llama-cpp's
 * `batching.dispatchSchedule`) once they have. A lone generation never waits.
 */

/** Longest anyone waits for a straggler; only reached when a generation stalls between tokens. */
const maxWaitMs = 20;

export type BatchMember = {
    /** The generation got its token and is working on it. */
    received(): void;
    /** The generation wants its next token: resolves when it may ask for it. */
    ready(): Promise<void> | void;
    /** The generation ended. */
    leave(): void;
};

/**
 * asked: its request is queued (or about to be) for the next batch; inFlight: in a dispatched batch;
 * working: has its token; held: wants the next one and waits for the others.
 */
type MemberState = { phase: "asked" | "inFlight" | "working" | "held"; prefilling: boolean; resume?: () => void };

export class BatchAssembler {
    private readonly members = new Set<MemberState>();
    private pendingDispatch: (() => void) | null = null;
    private fallback: NodeJS.Timeout | null = null;
    private releaseScheduled = false;

    /** node-llama-cpp's `batching.dispatchSchedule`. */
    readonly schedule = (dispatch: () => void): void => {
        this.pendingDispatch = dispatch;
        this.advance();
    };

    /** A generation about to queue its prompt. */
    join(): BatchMember {
        const member: MemberState = { phase: "asked", prefilling: true };
        this.members.add(member);
        return {
            received: () => {
                member.phase = "working";
                member.prefilling = false;
            },
            ready: () => {
                if (this.members.size === 1) {
                    member.phase = "asked";
                    return;
                }
                member.phase = "held";
                const turn = new Promise<void>((resolve) => { member.resume = resolve; });
                this.advance();
                return turn;
            },
            leave: () => {
                this.members.delete(member);
                member.resume?.();
                this.advance();
            }
        };
    }

    /** Members per phase; inFlight counts only those past their prompt. One pass: this runs for every token. */
    private tally(): { working: number; held: number; inFlight: number } {
        const tally = { working: 0, held: 0, inFlight: 0 };
        for (const member of this.members) {
            if (member.phase === "working") tally.working++;
            else if (member.phase === "held") tally.held++;
            else if (member.phase === "inFlight" && !member.prefilling) tally.inFlight++;
        }
        return tally;
    }

    /**
     * Once nobody is working on a token: releases the held generations and dispatches when the other ones all
     * have their tokens (a prompt being evaluated over several batches is not waited for: the others decode
     * alongside it), or when a request is already queued. Waiting for a batch to come back needs no deadline;
     * waiting for a generation still working on its token does.
     */
    private advance(): void {
        if (this.releaseScheduled) return;
        const { working, held, inFlight } = this.tally();
        if (working === 0) {
            if (this.pendingDispatch !== null || (held > 0 && inFlight === 0)) this.scheduleRelease();
        } else if (held > 0 || this.pendingDispatch !== null) {
            this.fallback ??= setTimeout(() => this.scheduleRelease(), maxWaitMs);
        }
    }

    /**
     * Lets the held generations ask for their tokens, then (a cycle later, when their requests have reached
     * node-llama-cpp's queue: a few promise hops) dispatches the batch.
     */
    private scheduleRelease(): void {
        if (this.releaseScheduled) return;
        this.releaseScheduled = true;
        if (this.fallback !== null) clearTimeout(this.fallback);
        this.fallback = null;
        const dispatch = () => {
            this.releaseScheduled = false;
            for (const member of this.members) if (member.phase === "asked") member.phase = "inFlight";
            const pending = this.pendingDispatch;
            this.pendingDispatch = null;
            pending?.();
            this.advance();
        };
        if (this.tally().held === 0) {
            setImmediate(dispatch);
            return;
        }
        setImmediate(() => {
            for (const member of this.members) {
                if (member.phase !== "held") continue;
                member.phase = "asked";
                const resume = member.resume;
                member.resume = undefined;
                resume?.();
            }
            setImmediate(dispatch);
        });
    }
}
