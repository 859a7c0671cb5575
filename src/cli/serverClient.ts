/** The CLI's view of a running lmhost server over its REST API. */
import { CliError, ExitCode, serverUrl, type ServerAddress } from "./common.js";

export type ServerProbe = "running" | "busy" | "none";

const probeTimeoutMs = 3000;

/** What to say of a server that did not answer its liveness probe. */
export const busyServer = (url: string) =>
    `the server at ${url} accepts connections but did not answer within ${probeTimeoutMs / 1000} s (busy or stopping); try again`;

export class ServerClient {
    readonly baseUrl: string;
    private readonly apiKey: string | undefined;

    constructor(address: ServerAddress) {
        this.baseUrl = serverUrl(address);
        // The server accepts several keys; a client sends the first of a comma-separated list.
        this.apiKey = address.apiKey?.split(",")[0]?.trim();
    }

    /** Headers every request carries: the API key, when there is one. */
    headers(extra: Record<string, string> = {}): Record<string, string> {
        return { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
    }

    async request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
        let response: Response;
        try {
            response = await fetch(`${this.baseUrl}${path}`, {
                method,
                headers: this.headers(body !== undefined ? { "content-type": "application/json" } : {}),
                ...(body !== undefined ? { body: JSON.stringify(body) } : {})
            });
        } catch {
            throw new CliError(`no lmhost server at ${this.baseUrl} (start one with: lmhost serve)`, ExitCode.noServer);
        }
        const text = await response.text();
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch {
            throw new CliError(`${this.baseUrl}${path} answered ${response.status} with something that is not JSON`);
        }
        if (!response.ok) {
            const message = (parsed as { error?: { message?: string } }).error?.message ?? `${response.status} ${response.statusText}`;
            throw new CliError(message);
        }
        return parsed as T;
    }

    /**
     * Whether a server is there: "running" when its liveness probe (GET /health, which answers at once whatever
     * the server is doing) answers; "busy" when something accepts connections but does not answer in 3 s (or
     * refuses requests, as while shutting down); "none" when nothing listens.
     */
    async probe(): Promise<ServerProbe> {
        try {
            const response = await fetch(`${this.baseUrl}/health`, { headers: this.headers(), signal: AbortSignal.timeout(probeTimeoutMs) });
            await response.body?.cancel();
            return response.status === 503 ? "busy" : "running";
        } catch (error) {
            // Only a server that took the connection can leave a request unanswered until the timeout.
            return error instanceof Error && error.name === "TimeoutError" ? "busy" : "none";
        }
    }
}
