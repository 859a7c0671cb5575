/**
 * API keys: when any are configured, every request must carry one as `Authorization: Bearer <key>` or
 * `x-api-key: <key>`. Keys are compared through their SHA-256 digests with a constant-time comparison, so
 * neither a key's content nor its length leaks through timing. The API description (/openapi.json, /docs)
 * and the liveness probes (`/`, plain /health) hold no data and stay open; CORS preflights carry no credentials and are answered by the CORS layer.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../errors.js";

export class Unauthorized extends ApiError {
    constructor(presented: boolean) {
        super(presented ? "Invalid API key." : "Missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
            401, "authentication_error", "invalid_api_key");
        this.headers = { "www-authenticate": 'Bearer realm="lmhost"' };
    }
}

const digest = (value: string) => createHash("sha256").update(value).digest();

function presentedKey(request: FastifyRequest): string | null {
    const header = request.headers.authorization;
    if (typeof header === "string") {
        const match = /^Bearer\s+(.+)$/i.exec(header.trim());
        if (match) return match[1]!;
    }
    const apiKey = request.headers["x-api-key"];
    return typeof apiKey === "string" && apiKey !== "" ? apiKey : null;
}

/**
 * `/` (the web app's page, or Ollama's "Ollama is running" probe) and the app's bundle under `/assets/` hold no
 * data (a browser cannot send a key with a script tag); `/health` is liveness; `/health?model=` says whether that
 * model exists and why its load failed: data, behind the key.
 */
const isPublic = (url: string) => url === "/" || url.startsWith("/assets/") || url === "/health" || url === "/openapi.json" || url === "/docs" || url.startsWith("/docs/");

export function requireApiKeys(app: FastifyInstance, keys: readonly string[]): void {
    if (keys.length === 0) return;
    const digests = keys.map(digest);
    app.addHook("onRequest", async (request) => {
        if (isPublic(request.url) || (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined)) return;
        const presented = presentedKey(request);
        const candidate = digest(presented ?? "");
        // Every key is compared, whatever matched, so the time taken does not say which one did.
        let matched = false;
        for (const key of digests) matched = timingSafeEqual(candidate, key) || matched;
        if (presented === null || !matched) throw new Unauthorized(presented !== null);
    });
}
