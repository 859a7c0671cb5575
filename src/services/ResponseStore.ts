/**
 * Stored responses of the Responses API (`store`, the default) and conversations of LM Studio's `/api/v1/chat`:
 * each response with the conversation that led to it, for `GET /v1/responses/{id}`, its input items and
 * `previous_response_id`. In memory, bounded: the oldest go first beyond `capacity` (default 1,000). With a
 * persistence (ResponseFiles, `--responses-dir`) each entry is also kept on disk and outlives the server.
 */
export type StoredResponse<Response, Item> = {
    response: Response;
    /** This request's own input items, with ids. */
    input: Item[];
    /** Everything the next turn continues from: the earlier turns, this input, and this response's output as input. */
    conversation: Item[];
};

/** Where entries go besides memory. Fire and forget: a slow or failing disk must not hold up or fail a request. */
export type StorePersistence<Entry> = {
    save(id: string, entry: Entry): void;
    remove(id: string): void;
    /** Settles once every save and removal asked for so far has. */
    flush(): Promise<void>;
};

/**
 * The format of the ids the server hands out for stored entries. Ids reach the store from request paths, so only
 * ids of this form may ever name a file (ResponseFiles checks it).
 */
export const storedIdPattern = /^resp_[0-9a-f]{32}$/;
export const newStoredId = () => `resp_${crypto.randomUUID().replaceAll("-", "")}`;

export class ResponseStore<Response, Item> {
    private readonly stored = new Map<string, StoredResponse<Response, Item>>();

    constructor(private readonly capacity = 1000, private readonly persistence: StorePersistence<StoredResponse<Response, Item>> | null = null) {}

    /** Entries kept from before a restart, oldest first: into memory only, as they are on disk already. */
    restore(entries: Iterable<readonly [string, StoredResponse<Response, Item>]>): void {
        for (const [id, entry] of entries) this.stored.set(id, entry);
        this.trim();
    }

    get(id: string): StoredResponse<Response, Item> | undefined {
        return this.stored.get(id);
    }

    put(id: string, entry: StoredResponse<Response, Item>): void {
        this.stored.delete(id);
        this.stored.set(id, entry);
        this.persistence?.save(id, entry);
        this.trim();
    }

    delete(id: string): boolean {
        // Only an id the store holds reaches the persistence: anything else a client sends stays a lookup in memory.
        if (!this.stored.delete(id)) return false;
        this.persistence?.remove(id);
        return true;
    }

    flush(): Promise<void> {
        return this.persistence?.flush() ?? Promise.resolve();
    }

    private trim(): void {
        while (this.stored.size > this.capacity) {
            const oldest = this.stored.keys().next().value!;
            this.stored.delete(oldest);
            this.persistence?.remove(oldest);
        }
    }
}
