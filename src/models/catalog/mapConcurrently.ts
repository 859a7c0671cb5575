/** Maps `items` through `work` with at most `limit` calls running at once; results keep the items' order. */
export async function mapConcurrently<Item, Result>(
    items: readonly Item[], limit: number, work: (item: Item) => Promise<Result>
): Promise<Result[]> {
    const results = new Array<Result>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await work(items[index]!);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    return results;
}
