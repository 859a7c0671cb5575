/**
 * Stored responses of the Responses API (`store`, the default): each response with the conversation that led to
 * it, for `GET /v1/responses/{id}`, its input items and `previous_response_id`. In memory, bounded: the oldest
 * go first beyond `capacity` (default 1,000), and none outlives the server.
 */
export type StoredResponse<Response, Item> = {
    response: Response;
    /** This request's own input items, with ids. */
    input: Item[];
    /** Everything the next turn continues from: the earlier turns, this input, and this response's output as input. */
    conversation: Item[];
};

export class ResponseStore<Response, Item> {
    private readonly stored = new Map<string, StoredResponse<Response, Item>>();

    constructor(private readonly capacity = 1000) {}

    get(id: string): StoredResponse<Response, Item> | undefined {
        return this.stored.get(id);
    }

    put(id: string, entry: StoredResponse<Response, Item>): void {
        this.stored.delete(id);
        this.stored.set(id, entry);
        while (this.stored.size > this.capacity) this.stored.delete(this.stored.keys().next().value!);
    }

    delete(id: string): boolean {
        return this.stored.delete(id);
    }
}
