import { describe, expect, it } from "vitest";
import { BatchAssembler } from "../../../src/engine/worker/BatchAssembler.js";

const cycles = async (count = 3) => {
    for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** An assembler with node-llama-cpp's side stood in for: `queue()` is a generation's request reaching its queue. */
function harness() {
    const assembler = new BatchAssembler();
    let dispatches = 0;
    let scheduled = false;
    const queue = () => {
        if (scheduled) return;
        scheduled = true;
        assembler.schedule(() => {
            scheduled = false;
            dispatches++;
        });
    };
    return { assembler, queue, dispatches: () => dispatches };
}

describe("BatchAssembler", () => {
    it("never holds a lone generation, and dispatches its request on the next cycle", async () => {
        const { assembler, queue, dispatches } = harness();
        const member = assembler.join();
        queue();
        await cycles();
        expect(dispatches()).toBe(1);
        member.received();
        expect(member.ready()).toBeUndefined();
        queue();
        await cycles();
        expect(dispatches()).toBe(2);
    });

    /** Two generations past their prompts, both waiting for the batch just dispatched. */
    async function twoInStep() {
        const h = harness();
        const first = h.assembler.join();
        const second = h.assembler.join();
        h.queue();
        await cycles();
        first.received();
        second.received();
        void Promise.resolve(first.ready()).then(h.queue);
        void Promise.resolve(second.ready()).then(h.queue);
        await cycles(4);
        expect(h.dispatches()).toBe(2);
        return { ...h, first, second };
    }

    it("holds a generation that has its token until the others have theirs, then lets all ask for one batch", async () => {
        const { first, second, queue, dispatches } = await twoInStep();
        first.received();
        let firstResumed = false;
        void Promise.resolve(first.ready()).then(() => { firstResumed = true; queue(); });
        await cycles();
        expect(firstResumed).toBe(false);
        expect(dispatches()).toBe(2);
        second.received();
        let secondResumed = false;
        void Promise.resolve(second.ready()).then(() => { secondResumed = true; queue(); });
        await cycles(4);
        expect([firstResumed, secondResumed]).toEqual([true, true]);
        expect(dispatches()).toBe(3);
    });

    it("does not hold the others while a joining prompt is evaluated over several batches", async () => {
        const { assembler, queue, dispatches } = harness();
        const running = assembler.join();
        queue();
        await cycles();
        running.received();
        const joining = assembler.join();
        queue();
        let resumed = false;
        void Promise.resolve(running.ready()).then(() => { resumed = true; });
        await cycles();
        expect(resumed).toBe(true);
        expect(dispatches()).toBe(2);
        // The joining prompt is still in flight; the running generation's next token does not wait for it.
        running.received();
        resumed = false;
        void Promise.resolve(running.ready()).then(() => { resumed = true; queue(); });
        await cycles(4);
        expect(resumed).toBe(true);
        expect(dispatches()).toBe(3);
        joining.leave();
    });

    it("dispatches a request that reached the queue after its batch left, even with a generation held", async () => {
        const { first, second, queue, dispatches } = await twoInStep();
        // The second generation's request missed the batch that was dispatched; the first got its token.
        first.received();
        void first.ready();
        queue();
        await cycles(4);
        expect(dispatches()).toBe(3);
        second.leave();
    });

    /** Two generations with their tokens; the second wants its next one. */
    function oneHeld() {
        const { assembler } = harness();
        const other = assembler.join();
        const held = assembler.join();
        other.received();
        held.received();
        let resumed = false;
        void Promise.resolve(held.ready()).then(() => { resumed = true; });
        return { other, resumed: () => resumed };
    }

    it("lets the held ones go after a deadline when another generation stalls on its token", async () => {
        const { other, resumed } = oneHeld();
        await cycles();
        expect(resumed()).toBe(false);
        await new Promise((resolve) => setTimeout(resolve, 40));
        expect(resumed()).toBe(true);
        other.leave();
    });

    it("releases the others when a generation leaves", async () => {
        const { other, resumed } = oneHeld();
        other.leave();
        await cycles();
        expect(resumed()).toBe(true);
    });
});
