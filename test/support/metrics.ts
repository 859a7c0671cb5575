/** Reading the server's Prometheus text in tests. */

/** A sample's value (0 when absent); `labels` as they print, e.g. `model="tiny-chat"`. */
export function metricValue(text: string, name: string, labels: string): number {
    const escaped = labels.replace(/[{}.*+?^$()|[\]\\]/g, "\\$&");
    return Number(new RegExp(`^${name}\\{${escaped}\\} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
}

export async function readMetrics(serverUrl: string): Promise<string> {
    return (await fetch(`${serverUrl}/metrics`)).text();
}

/** Polls /metrics until `done` holds (the server settles asynchronously after clients leave); returns the last read. */
export async function metricsWhen(serverUrl: string, done: (text: string) => boolean, attempts = 200): Promise<string> {
    let text = await readMetrics(serverUrl);
    for (let i = 0; i < attempts && !done(text); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        text = await readMetrics(serverUrl);
    }
    return text;
}
