/**
 * The web app (web/, built by `npm run build` into dist/web/): chat, models, downloads and a live view of the
 * server, at `/`. `/` is Ollama's probe too (`HEAD /` and `GET /` answer `Ollama is running`, which Ollama's clients
 * check), so one route negotiates: a request whose Accept header prefers HTML (a browser) on the main port gets
 * the app's index.html; everything else (no Accept, the any-type wildcard of curl and Ollama's clients, any request on the Ollama port) the
 * probe's text.
 * The app's assets are at `/assets/`, named by their content's hash by Vite: cached for a year; index.html is
 * revalidated on every load. The app's pages carry a strict Content-Security-Policy: same origin only.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { RouteDependencies } from "../app.js";
import { cameOnOllamaPort } from "../ollamaListener.js";

/** dist/web/ of the package: this file is src/http/routes/webApp.ts, or dist/http/routes/webApp.js once built. */
export const defaultWebAppFolder = fileURLToPath(new URL("../../../dist/web/", import.meta.url));

/**
 * Same origin only: scripts and styles from the app's own files (Vite writes no inline script or style), images
 * also as data: URLs (the icon), requests to this server alone, no frames, no plugins, no <base>.
 */
export const webAppContentSecurityPolicy = [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'", "connect-src 'self'",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"
].join("; ");

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>lmhost</title></head>
<body><h1>lmhost</h1><p>The web app is not built. Run <code>npm run build</code> in lmhost's folder, then reload this page.</p>
<p>The API is served all the same: see <a href="/docs">/docs</a>.</p></body></html>
`;

/** The quality `accept` gives `type` (`text/html`): its most specific matching range's `q`; 0 when none matches. */
export function acceptQuality(accept: string, type: string): number {
    const [major] = type.split("/");
    let best = { specificity: -1, q: 0 };
    for (const range of accept.split(",")) {
        const [media = "", ...parameters] = range.split(";").map((part) => part.trim().toLowerCase());
        const specificity = media === type ? 2 : media === `${major}/*` ? 1 : media === "*/*" ? 0 : -1;
        if (specificity <= best.specificity) continue;
        const qParameter = parameters.find((parameter) => parameter.startsWith("q="));
        const q = qParameter === undefined ? 1 : Number(qParameter.slice(2));
        best = { specificity, q: Number.isFinite(q) ? Math.min(1, Math.max(0, q)) : 0 };
    }
    return best.q;
}

/** A browser asking for a page: it names HTML and prefers it to plain text. The any-type wildcard alone (curl, Ollama's clients) does not. */
export function prefersHtml(accept: string | undefined): boolean {
    if (accept === undefined || !/(^|[\s,])(text\/html|application\/xhtml\+xml)\s*(;|,|$)/i.test(accept)) return false;
    const html = Math.max(acceptQuality(accept, "text/html"), acceptQuality(accept, "application/xhtml+xml"));
    return html > 0 && html > acceptQuality(accept, "text/plain");
}

/** The web app's routes, serving `folder` (default: dist/web/ of the package). */
export function webAppRoutesFrom(folder: string): FastifyPluginAsyncTypebox<RouteDependencies> {
    return async (app) => {
        const assets = path.join(folder, "assets");
        // Registered even before a build exists (a missing file is the 404 of any unknown route), so that a build
        // made while the server runs serves at once, as the "not built" page promises.
        await app.register(fastifyStatic, {
            root: assets, prefix: "/assets/", decorateReply: false, index: false, list: false, dotfiles: "ignore",
            // Vite names every asset by its content's hash: a name never changes content.
            maxAge: "365d", immutable: true
        });

        const page = async (request: FastifyRequest): Promise<string> => {
            try {
                return await readFile(path.join(folder, "index.html"), "utf8");
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "ENOENT") request.log.warn({ err: error }, "Could not read the web app's index.html");
                return notBuiltPage;
            }
        };

        app.get("/", {
            schema: {
                summary: "Ollama's probe: answers `Ollama is running` (HEAD too; no API key needed). A browser (Accept preferring text/html) " +
                    "on the main port gets lmhost's web app instead",
                tags: ["Ollama API"], security: [], produces: ["text/plain", "text/html"],
                response: { 200: Type.String({ description: "Ollama is running, or the web app's page" }) }
            }
        }, async (request, reply) => {
            if (cameOnOllamaPort(request)) return reply.type("text/plain; charset=utf-8").send("Ollama is running");
            // The same URL answers two ways: caches must key on Accept.
            const vary = reply.getHeader("vary");
            reply.header("vary", vary === undefined ? "Accept" : `${String(vary)}, Accept`);
            if (!prefersHtml(request.headers.accept)) return reply.type("text/plain; charset=utf-8").send("Ollama is running");
            return reply
                .type("text/html; charset=utf-8")
                .header("cache-control", "no-cache")
                .header("content-security-policy", webAppContentSecurityPolicy)
                .header("x-content-type-options", "nosniff")
                .header("referrer-policy", "no-referrer")
                .send(await page(request));
        });
    };
}

export const webAppRoutes = webAppRoutesFrom(defaultWebAppFolder);
