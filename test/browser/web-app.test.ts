/**
 * The web app in a real browser (playwright-core driving Debian's Chromium) against a real `lmhost serve` on the
 * test models: a streamed chat round trip, stopping an answer (the engine stops: /metrics says so), loading and
 * unloading on the models page, a download with progress from the Hub stand-in, the server page against
 * /metrics, the API-key prompt, no console errors; screenshots of each page at desktop and phone width go to
 * .cache/screenshots/. Needs Chromium (`apt-get install chromium`, or LMHOST_CHROMIUM=<path>); without one the
 * file says so and its tests are skipped.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { familyModelsFolder } from "../support/familyFixtures.js";
import { ensureFixtures, placeModel, standardModelsFolder, temporaryFolder } from "../support/fixtures.js";
import { startHubStandIn, type HubStandIn } from "../support/hubStandIn.js";
import { readMetrics } from "../support/metrics.js";

const chromiumPath = process.env.LMHOST_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) console.warn(`test/browser: no Chromium at ${chromiumPath} (apt-get install chromium, or set LMHOST_CHROMIUM): browser tests skipped`);

const bin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const screenshots = fileURLToPath(new URL("../../.cache/screenshots", import.meta.url));
const running: ChildProcessWithoutNullStreams[] = [];

/** `lmhost serve` as a user starts it, in its own process; resolves with its URL once it listens. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<string> {
    const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--threads", "1", "--gpu", "off", "--no-hf-cache", "--no-ollama-models", ...args], {
        env: { ...process.env, ...env }
    });
    running.push(child);
    let output = "";
    child.stdout.on("data", (data) => { output += data; });
    child.stderr.on("data", (data) => { output += data; });
    for (let i = 0; i < 400; i++) {
        const match = /lmhost listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) return match[1]!;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`lmhost serve did not start:\n${output}`);
}

const metricsOf = readMetrics;
/** The sum of a metric's samples over all their labels. */
const sum = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].reduce((total, match) => total + Number(match[1]), 0);

describe.skipIf(!haveChromium)("the web app", () => {
    let url: string;
    let hub: HubStandIn;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
        const models = await standardModelsFolder();
        hub = await startHubStandIn({ "tiny-org/Tiny-Chat-GGUF": [{ path: "Tiny-Chat-Q4_K_M.gguf", content: await readFile((await ensureFixtures()).chat) }] },
            { bytesPerSecond: 150_000 });
        // A model that calls a tool as Qwen3 does (a scripted model, test/support/gguf/familyModels.ts).
        const caller = (await familyModelsFolder(["qwen3"])).models.find((model) => model.id === "qwen3-call")!;
        const callers = await temporaryFolder();
        await placeModel(callers, `lmhost-families/${caller.id}/${caller.id}.gguf`, caller.file);
        url = await serve(["--models-dir", models, "--models-dir", callers, "--context-length", "8192"], { HF_ENDPOINT: hub.url });
        await mkdir(screenshots, { recursive: true });
        browser = await chromium.launch({
            executablePath: chromiumPath,
            args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
        });
        context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
        page = await context.newPage();
        page.on("console", (message) => {
            if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
        });
        page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
        await page.goto(`${url}/`);
    }, 120_000);
    afterAll(async () => {
        await browser?.close();
        for (const child of running.splice(0)) child.kill("SIGKILL");
        await hub?.close();
    });

    /** Both widths of the page now shown, for the record and the README. */
    async function screenshot(name: string) {
        await page.screenshot({ path: path.join(screenshots, `${name}-desktop.png`) });
        await page.setViewportSize({ width: 375, height: 740 });
        await page.screenshot({ path: path.join(screenshots, `${name}-phone.png`) });
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} fits a phone's width`).toBeLessThanOrEqual(375);
        await page.setViewportSize({ width: 1280, height: 800 });
    }

    it("streams a chat answer with its stats, and keeps the conversation", async () => {
        await page.waitForSelector('[data-testid="model-picker"] option[value="tiny-chat"]', { state: "attached" });
        await page.selectOption('[data-testid="model-picker"]', "tiny-chat");
        await page.click('[data-testid="chat-settings"] summary');
        await page.fill('[data-testid="max-tokens"]', "24");
        // Greedy: the same answers every run (a random-weight model sampling could end an answer before Stop).
        await page.fill('[data-testid="temperature"]', "0");
        await page.fill('[data-testid="prompt-input"]', "Hello there");
        await page.keyboard.press("Enter");
        const answer = page.locator('[data-testid="assistant-message"]').last();
        await answer.locator('[data-testid="answer-stats"]').waitFor({ timeout: 60_000 });
        expect((await answer.locator('[data-testid="answer"]').innerText()).length).toBeGreaterThan(0);
        expect(await answer.locator('[data-testid="stat-tokens-per-second"]').innerText()).toMatch(/\d/);
        expect(await answer.locator('[data-testid="stat-time-to-first-token"]').innerText()).toMatch(/\d/);
        expect(await page.locator('[data-testid="conversation-item"]').allInnerTexts()).toContain("Hello there");
        // Kept in IndexedDB: still there after a reload.
        await page.reload();
        await page.waitForSelector('[data-testid="conversation-item"]');
        expect(await page.locator('[data-testid="conversation-item"]').allInnerTexts()).toContain("Hello there");
        await page.locator('[data-testid="conversation-item"]', { hasText: "Hello there" }).click();
        await page.locator('[data-testid="assistant-message"] [data-testid="answer-stats"]').waitFor();
        await screenshot("chat");
    });

    it("stops an answer when asked, and the engine stops generating", async () => {
        const before = await metricsOf(url);
        // The settings fold closed again with the reload.
        if (!await page.locator('[data-testid="max-tokens"]').isVisible()) await page.click('[data-testid="chat-settings"] summary');
        await page.fill('[data-testid="max-tokens"]', "6000");
        await page.fill('[data-testid="temperature"]', "0");
        await page.fill('[data-testid="prompt-input"]', "Tell me a very long story");
        await page.click('[data-testid="send"]');
        await page.locator('[data-testid="stop"]').waitFor();
        await page.locator('[data-testid="assistant-message"]').last().locator('[data-testid="answer"]').waitFor({ timeout: 60_000 });
        await page.click('[data-testid="stop"]');
        await page.locator('[data-testid="send"]').waitFor({ timeout: 30_000 });
        await page.locator('[data-testid="answer-stopped"]').last().waitFor();
        // The generation was cancelled, not left running: one more cancellation, and no token after it settles.
        let after = await metricsOf(url);
        for (let i = 0; i < 50 && sum(after, "lmhost_tokens_after_cancel_count") === sum(before, "lmhost_tokens_after_cancel_count"); i++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            after = await metricsOf(url);
        }
        expect(sum(after, "lmhost_tokens_after_cancel_count")).toBe(sum(before, "lmhost_tokens_after_cancel_count") + 1);
        expect(sum(after, "lmhost_busy_sequences")).toBe(0);
        const generated = sum(after, "lmhost_completion_tokens_total") - sum(before, "lmhost_completion_tokens_total");
        expect(generated).toBeLessThan(6000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(sum(await metricsOf(url), "lmhost_completion_tokens_total")).toBe(sum(after, "lmhost_completion_tokens_total"));
    });

    it("shows the model's tool calls as they stream, and sends the results the user gives", async () => {
        await page.click('[data-testid="new-chat"]');
        await page.selectOption('[data-testid="model-picker"]', "qwen3-call");
        if (!await page.locator('[data-testid="tools"]').isVisible()) await page.click('[data-testid="chat-settings"] summary');
        await page.fill('[data-testid="tools"]', "not json");
        await page.locator('[data-testid="tools-error"]').waitFor();
        await page.fill('[data-testid="tools"]', JSON.stringify([{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }]));
        expect(await page.locator('[data-testid="tools-error"]').count()).toBe(0);
        await page.fill('[data-testid="max-tokens"]', "");
        await page.fill('[data-testid="prompt-input"]', "What is the weather in Paris?");
        await page.keyboard.press("Enter");
        const first = page.locator('[data-testid="assistant-message"]').last();
        await first.locator('[data-testid="answer-stats"]').waitFor({ timeout: 60_000 });
        expect(await first.locator('[data-testid="tool-call"] code').innerText()).toBe("get_weather");
        expect(JSON.parse(await first.locator('[data-testid="tool-call"] pre').innerText())).toEqual({ city: "Paris" });
        expect(await first.locator('[data-testid="reasoning-text"]').textContent()).toContain("I need the weather tool.");
        await page.fill('[data-testid="tool-result-input"]', "21 degrees and sunny");
        await screenshot("chat-tools");
        await page.click('[data-testid="send-tool-results"]');
        await page.locator('[data-testid="tool-message"]').waitFor();
        expect(await page.locator('[data-testid="tool-message"] pre').innerText()).toBe("21 degrees and sunny");
        // The result went back through the template: a second answer (this script calls again), with its stats.
        await page.locator('[data-testid="assistant-message"]').nth(1).locator('[data-testid="answer-stats"]').waitFor({ timeout: 60_000 });
        expect(await page.locator('[data-testid="assistant-message"]').nth(1).locator('[data-testid="tool-call"] code').innerText()).toBe("get_weather");
        expect(await page.locator('[data-testid="chat-error"]').count()).toBe(0);
        // Tools are a setting the next conversations inherit: cleared for the tests after this one.
        await page.fill('[data-testid="tools"]', "");
    });

    it("loads and unloads a model on the models page", async () => {
        await page.click('[data-testid="nav-models"]');
        const card = page.locator('[data-testid="model-card"][data-model="text-embedding-tiny-embed"]');
        await card.waitFor();
        await card.locator("summary").click();
        await card.locator('[data-testid="load-ttl"]').fill("600");
        await card.locator('[data-testid="load-button"]').click();
        await card.locator('[data-testid="unload-button"]').waitFor({ timeout: 60_000 });
        const listed = await (await fetch(`${url}/api/v1/models`)).json();
        expect(JSON.stringify(listed)).toContain("text-embedding-tiny-embed");
        expect((await (await fetch(`${url}/api/v0/models/text-embedding-tiny-embed`)).json()).state).toBe("loaded");
        await card.locator('[data-testid="unload-button"]').click();
        await page.locator('[data-testid="model-card"][data-model="text-embedding-tiny-embed"][data-loaded="false"]').waitFor({ timeout: 30_000 });
        expect((await (await fetch(`${url}/api/v0/models/text-embedding-tiny-embed`)).json()).state).toBe("not-loaded");
    });

    it("downloads from the Hub with live progress, and lists the model after", async () => {
        await page.fill('[data-testid="download-input"]', "tiny-org/Tiny-Chat-GGUF");
        await page.click('[data-testid="download-button"]');
        const job = page.locator('[data-testid="download-job"]').last();
        await job.waitFor({ timeout: 30_000 });
        // Part of the way: progress between nothing and everything, with a speed.
        await page.waitForFunction(() => {
            const bar = [...document.querySelectorAll<HTMLProgressElement>('[data-testid="download-progress"]')].at(-1);
            return bar !== undefined && bar.value > 0 && bar.value < 1;
        }, undefined, { timeout: 30_000 });
        expect(await job.locator('[data-testid="download-numbers"]').innerText()).toMatch(/\/s/);
        await page.locator('[data-testid="download-job"][data-status="completed"]').waitFor({ timeout: 60_000 });
        await page.locator('[data-testid="model-card"][data-model*="tiny-chat-gguf"]').first().waitFor({ timeout: 30_000 });
        await screenshot("models");
    });

    it("shows the server's numbers as /metrics counts them", async () => {
        await page.click('[data-testid="nav-server"]');
        await page.locator('[data-testid="total-completions"]').waitFor();
        // Idle now: completions and tokens stand still, so the page (polling every 2 s) and /metrics must agree.
        const metrics = await metricsOf(url);
        const expected: Record<string, number> = {
            "total-completions": sum(metrics, "lmhost_completions_total"),
            "total-prompt-tokens": sum(metrics, "lmhost_prompt_tokens_total"),
            "total-completion-tokens": sum(metrics, "lmhost_completion_tokens_total")
        };
        expect(expected["total-completions"]).toBeGreaterThanOrEqual(2);
        for (const [testId, value] of Object.entries(expected)) {
            await expect.poll(async () => Number(await page.locator(`[data-testid="${testId}"]`).getAttribute("data-value")), { timeout: 10_000, message: testId }).toBe(value);
        }
        const requests = Number(await page.locator('[data-testid="total-requests"]').getAttribute("data-value"));
        expect(requests).toBeGreaterThan(sum(metrics, "lmhost_http_requests_total") - 20);
        await screenshot("server");
    });

    it("follows the system's colour scheme, and the toggle over it", async () => {
        const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
        await page.emulateMedia({ colorScheme: "dark" });
        const systemDark = await background();
        await page.emulateMedia({ colorScheme: "light" });
        const systemLight = await background();
        expect(systemDark).not.toBe(systemLight);
        const toggle = page.locator('[data-testid="theme-toggle"]');
        /** One press, waiting for the theme it sets: the page applies it after rendering. */
        const press = async () => {
            const before = await toggle.innerText();
            await toggle.click();
            await expect.poll(() => toggle.innerText()).not.toBe(before);
        };
        for (let i = 0; i < 3 && !(await toggle.innerText()).includes("dark"); i++) await press();
        await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
        expect(await background(), "the toggle's dark over a light system").toBe(systemDark);
        await page.screenshot({ path: path.join(screenshots, "server-dark-desktop.png") });
        for (let i = 0; i < 3 && !(await toggle.innerText()).includes("system"); i++) await press();
    });

    it("wrote nothing to the console", () => {
        expect(problems).toEqual([]);
    });

    it("asks for the API key, and uses it", async () => {
        const keyed = await serve(["--models-dir", await temporaryFolder("lmhost-browser-"), "--api-key", "browser-key"]);
        const keyPage = await context.newPage();
        const seen: string[] = [];
        keyPage.on("pageerror", (error) => seen.push(error.message));
        await keyPage.goto(`${keyed}/`);
        await keyPage.locator('[data-testid="api-key-dialog"]').waitFor({ timeout: 30_000 });
        await keyPage.fill('[data-testid="api-key-input"]', "browser-key");
        await keyPage.click('[data-testid="api-key-save"]');
        await keyPage.locator('[data-testid="api-key-dialog"]').waitFor({ state: "hidden" });
        await keyPage.click('[data-testid="nav-server"]');
        await keyPage.locator('[data-testid="total-requests"]').waitFor({ timeout: 30_000 });
        expect(await keyPage.evaluate(() => Object.values(localStorage).includes("browser-key"))).toBe(true);
        expect(seen).toEqual([]);
        await keyPage.close();
    });
});
