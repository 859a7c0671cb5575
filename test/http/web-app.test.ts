/**
 * The web app at `/` (dist/web/, built by `npm run build`, which `npm test` runs first): a browser's Accept gets
 * index.html with a strict CSP, and its assets serve; any other request to `/` is still Ollama's probe.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Fastify from "fastify";
import { acceptQuality, defaultWebAppFolder, prefersHtml, webAppContentSecurityPolicy, webAppRoutesFrom } from "../../src/http/routes/webApp.js";
import type { RunningServer } from "../../src/server.js";
import { temporaryFolder } from "../support/fixtures.js";
import { startTestServer } from "../support/testServer.js";

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

describe("content negotiation of /", () => {
    it("serves HTML to browsers only", () => {
        expect(prefersHtml(browserAccept)).toBe(true);
        expect(prefersHtml("text/html")).toBe(true);
        expect(prefersHtml(undefined)).toBe(false);
        expect(prefersHtml("*/*")).toBe(false);
        expect(prefersHtml("text/plain, text/html;q=0.5")).toBe(false);
        expect(prefersHtml("application/json")).toBe(false);
        expect(prefersHtml("text/html;q=0")).toBe(false);
        expect(prefersHtml("text/html, text/plain")).toBe(false);
        expect(acceptQuality("text/*;q=0.3, */*;q=0.1", "text/plain")).toBe(0.3);
    });
});

describe("the web app", () => {
    let server: RunningServer;
    beforeAll(async () => {
        expect(existsSync(path.join(defaultWebAppFolder, "index.html")), "dist/web is built by npm run build").toBe(true);
        server = await startTestServer({ modelsDir: await temporaryFolder(), ollamaPort: 0 });
    });
    afterAll(() => server?.close());

    it("answers a browser at / with the app's page, its CSP, and assets that serve", async () => {
        const page = await fetch(`${server.url}/`, { headers: { accept: browserAccept } });
        expect(page.status).toBe(200);
        expect(page.headers.get("content-type")).toMatch(/^text\/html/);
        expect(page.headers.get("content-security-policy")).toBe(webAppContentSecurityPolicy);
        expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
        expect(page.headers.get("cache-control")).toBe("no-cache");
        expect(page.headers.get("vary")).toMatch(/accept/i);
        const html = await page.text();
        // Vite's output under the CSP: external module scripts only, nothing inline, nothing from elsewhere.
        expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
        expect(html).not.toMatch(/\b(src|href)="https?:/);
        const script = /<script[^>]*\bsrc="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
        expect(script, html).toBeDefined();
        const asset = await fetch(`${server.url}${script}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get("content-type")).toMatch(/^(text|application)\/javascript/);
        expect(asset.headers.get("cache-control")).toMatch(/max-age=31536000.*immutable|immutable.*max-age=31536000/);
        expect((await asset.text()).length).toBeGreaterThan(1000);
        const stylesheet = /<link[^>]*\bhref="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
        if (stylesheet !== undefined) expect((await fetch(`${server.url}${stylesheet}`)).headers.get("content-type")).toMatch(/^text\/css/);
    });

    it("keeps / Ollama's probe for everything but a browser", async () => {
        for (const headers of [{}, { accept: "*/*" }, { accept: "application/json" }] as Array<Record<string, string>>) {
            const response = await fetch(`${server.url}/`, { headers });
            expect(response.status).toBe(200);
            expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
            expect(response.headers.get("content-security-policy")).toBeNull();
            expect(await response.text()).toBe("Ollama is running");
        }
        expect((await fetch(`${server.url}/`, { method: "HEAD" })).status).toBe(200);
    });

    it("is only Ollama's probe on the Ollama port, whatever the Accept", async () => {
        const response = await fetch(`${server.ollamaUrl}/`, { headers: { accept: browserAccept } });
        expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
        expect(await response.text()).toBe("Ollama is running");
        const html = await (await fetch(`${server.url}/`, { headers: { accept: browserAccept } })).text();
        const script = /<script[^>]*\bsrc="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
        const asset = await fetch(`${server.ollamaUrl}${script}`);
        expect(asset.status).toBe(404);
        expect(await asset.json()).toEqual({ error: expect.stringContaining("Unknown route") });
    });

    it("answers 404 for an asset that is not there", async () => {
        const response = await fetch(`${server.url}/assets/x.js`);
        expect(response.status).toBe(404);
        expect((await response.json()).error.message).toMatch(/\/assets\/x\.js/);
        expect((await fetch(`${server.url}/assets/../package.json`)).status).toBe(404);
    });
});

describe("without a build", () => {
    it("tells a browser to run npm run build, and is still Ollama's probe", async () => {
        const app = Fastify();
        await app.register(webAppRoutesFrom(await temporaryFolder()), {} as never);
        try {
            const page = await app.inject({ url: "/", headers: { accept: browserAccept } });
            expect(page.statusCode).toBe(200);
            expect(page.headers["content-type"]).toMatch(/^text\/html/);
            expect(page.headers["content-security-policy"]).toBe(webAppContentSecurityPolicy);
            expect(page.body).toContain("npm run build");
            expect((await app.inject({ url: "/" })).body).toBe("Ollama is running");
            expect((await app.inject({ url: "/assets/index.js" })).statusCode).toBe(404);
        } finally {
            await app.close();
        }
    });
});
