/**
 * Answers as Markdown (marked), code highlighted (highlight.js core with a dozen languages models write most). A
 * model's output is untrusted: raw HTML in it is shown as text, links go only to http(s) and mailto, and images
 * become links (the page's CSP loads no image from elsewhere).
 */
import { Marked, type Tokens } from "marked";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import cpp from "highlight.js/lib/languages/cpp";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const languages = { bash, cpp, diff, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);
hljs.registerAliases(["sh", "shell", "zsh", "console"], { languageName: "bash" });
hljs.registerAliases(["html", "svg"], { languageName: "xml" });
// C is highlighted well enough as C++: one grammar less in the bundle.
hljs.registerAliases(["c", "h"], { languageName: "cpp" });

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => escapes[character]!);

function safeHref(href: string): string | null {
    const trimmed = href.trim();
    if (/^(https?:|mailto:)/i.test(trimmed) || trimmed.startsWith("#")) return trimmed;
    return null;
}

function highlighted(code: string, lang: string | undefined): { html: string; language: string | null } {
    const name = (lang ?? "").trim().split(/\s+/)[0]?.toLowerCase() ?? "";
    if (name !== "" && hljs.getLanguage(name)) return { html: hljs.highlight(code, { language: name, ignoreIllegals: true }).value, language: name };
    // No language named, or one not bundled: shown as it is (guessing costs more than it gives on partial code).
    return { html: escapeHtml(code), language: name === "" ? null : name };
}

const markdown = new Marked({
    gfm: true,
    breaks: false,
    renderer: {
        code({ text, lang }: Tokens.Code) {
            const { html, language } = highlighted(text, lang);
            const label = language === null ? "" : `<span class="code-language">${escapeHtml(language)}</span>`;
            return `<div class="code-block"><div class="code-bar">${label}<button type="button" class="copy-code" data-copy-code>Copy</button></div>` +
                `<pre><code class="hljs${language === null ? "" : ` language-${escapeHtml(language)}`}">${html}</code></pre></div>\n`;
        },
        html({ text }: Tokens.HTML | Tokens.Tag) {
            return escapeHtml(text);
        },
        link({ href, title, tokens }: Tokens.Link) {
            const inner = this.parser.parseInline(tokens);
            const safe = safeHref(href);
            if (safe === null) return inner;
            const titled = title ? ` title="${escapeHtml(title)}"` : "";
            return safe.startsWith("#") ? `<a href="${escapeHtml(safe)}"${titled}>${inner}</a>`
                : `<a href="${escapeHtml(safe)}"${titled} target="_blank" rel="noopener noreferrer">${inner}</a>`;
        },
        image({ href, text }: Tokens.Image) {
            const safe = safeHref(href);
            const label = `[image: ${escapeHtml(text || href)}]`;
            return safe === null ? label : `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener noreferrer">${label}</a>`;
        }
    }
});

/** `text` (Markdown) as HTML safe to set as innerHTML. */
export function renderMarkdown(text: string): string {
    return markdown.parse(text, { async: false });
}
