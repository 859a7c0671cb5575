import { useEffect, useRef, useState } from "preact/hooks";
import { clearKey, hasKey, onKeyNeeded, reaskForKey } from "./api";
import { useHashRoute, useTheme } from "./hooks";
import { Chat } from "./views/Chat";
import { Models } from "./views/Models";
import { Server } from "./views/Server";

/** A key an HTTP header can carry: printable ASCII (fetch refuses anything else, and every request would fail). */
const usableKey = (key: string) => /^[\x21-\x7e]+$/.test(key.trim());

type KeyRequest = { reason: string; resolve: (key: string | null) => void };

/** Asks for the API key (`--api-key`) when the server first answers 401; Escape or Cancel gives up. */
function KeyDialog({ request, onDone }: { request: KeyRequest | null; onDone: () => void }) {
    const dialog = useRef<HTMLDialogElement>(null);
    const [key, setKey] = useState("");
    useEffect(() => {
        const element = dialog.current;
        if (element === null) return;
        if (request !== null && !element.open) {
            setKey("");
            element.showModal();
        }
        if (request === null && element.open) element.close();
    }, [request]);
    const finish = (value: string | null) => {
        request?.resolve(value);
        onDone();
    };
    return (
        <dialog ref={dialog} class="key-dialog" data-testid="api-key-dialog" aria-labelledby="key-dialog-title" onCancel={(event) => { event.preventDefault(); finish(null); }}>
            <form method="dialog" onSubmit={(event) => { event.preventDefault(); if (usableKey(key)) finish(key.trim()); }}>
                <h2 id="key-dialog-title">API key</h2>
                <p>This server asks for a key (<code>--api-key</code>){request ? <>: <span data-testid="api-key-reason">{request.reason}</span></> : null}</p>
                <label for="api-key">Key</label>
                <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck={false} data-testid="api-key-input"
                    value={key} onInput={(event) => setKey(event.currentTarget.value)} />
                <p class="hint">Kept in this browser (localStorage) and sent as <code>Authorization: Bearer …</code> to this server only.</p>
                <div class="row end">
                    <button type="button" onClick={() => finish(null)}>Cancel</button>
                    <button type="submit" class="primary" data-testid="api-key-save" disabled={!usableKey(key)}>Save</button>
                </div>
            </form>
        </dialog>
    );
}

const themeLabels = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" };

export function App() {
    const route = useHashRoute();
    const [theme, nextTheme] = useTheme();
    const [keyRequest, setKeyRequest] = useState<KeyRequest | null>(null);
    const [keyStored, setKeyStored] = useState(hasKey);
    // The key button shows once the server asked for a key (or one is kept): without --api-key there is none.
    const [keyAsked, setKeyAsked] = useState(false);
    useEffect(() => onKeyNeeded((reason) => new Promise((resolve) => {
        setKeyAsked(true);
        setKeyRequest({
            reason, resolve: (key) => {
                setKeyStored(key !== null || hasKey());
                resolve(key);
            }
        });
    })), []);
    const link = (name: typeof route, label: string) => (
        <a href={`#/${name}`} aria-current={route === name ? "page" : undefined} data-testid={`nav-${name}`}>{label}</a>
    );
    return (
        <>
            <a class="skip" href="#main" onClick={(event) => { event.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to content</a>
            <header class="topbar">
                <a class="brand" href="#/chat">lmhost</a>
                <nav aria-label="Sections">
                    {link("chat", "Chat")}
                    {link("models", "Models")}
                    {link("server", "Server")}
                </nav>
                <div class="topbar-actions">
                    {keyStored
                        ? <button type="button" class="quiet" data-testid="forget-key" onClick={() => { clearKey(); setKeyStored(false); }}>Forget key</button>
                        : keyAsked ? <button type="button" class="quiet" data-testid="enter-key" onClick={() => void reaskForKey()}>API key…</button> : null}
                    <button type="button" class="quiet" data-testid="theme-toggle" onClick={nextTheme} aria-label={`${themeLabels[theme]} (change)`}>
                        {theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐"}<span class="theme-name">{theme}</span>
                    </button>
                </div>
            </header>
            <main id="main" tabIndex={-1}>
                <Chat active={route === "chat"} />
                <Models active={route === "models"} />
                <Server active={route === "server"} />
            </main>
            <KeyDialog request={keyRequest} onDone={() => setKeyRequest(null)} />
        </>
    );
}
