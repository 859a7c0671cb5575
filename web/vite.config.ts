/**
 * Builds the web app into dist/web/, which lmhost serves at `/` (src/http/routes/webApp.ts): `npm run build:web`
 * (part of `npm run build`). `npm run dev:web` serves it with hot reload, proxying the API to an lmhost on
 * 127.0.0.1:1234 (LMHOST_URL to change it).
 */
import { defineConfig } from "vite";

const target = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.LMHOST_URL ?? "http://127.0.0.1:1234";

export default defineConfig({
    base: "/",
    // The API's paths; `/` itself is the app in development.
    server: { proxy: Object.fromEntries(["/api", "/v1", "/lmhost", "/health", "/metrics"].map((path) => [path, { target, changeOrigin: false }])) },
    oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
    build: {
        outDir: "../dist/web",
        emptyOutDir: true,
        target: "es2022",
        // Browsers of ES2022 load modulepreload themselves; no polyfill in the bundle.
        modulePreload: { polyfill: false },
        // Every asset a file of its own, under the strict CSP (no data: fonts or scripts).
        assetsInlineLimit: 0,
        chunkSizeWarningLimit: 300
    }
});
