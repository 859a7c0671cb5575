/** The CLI's view of a running lmhost server over its REST API. */
import { CliError, ExitCode } from "./common.js";

export class ServerClient {
    constructor(readonly baseUrl: string) {}

    async request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
        let response: Response;
        try {
            response = await fetch(`${this.baseUrl}${path}`, {
                method,
                ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {})
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

    /** Whether a server answers at all. */
    async reachable(): Promise<boolean> {
        try {
            await fetch(`${this.baseUrl}/api/v1/models`, { signal: AbortSignal.timeout(3000) });
            return true;
        } catch {
            return false;
        }
    }
}
