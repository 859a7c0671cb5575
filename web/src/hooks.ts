import { useEffect, useRef, useState } from "preact/hooks";

export type Route = "chat" | "models" | "server";
const routes: readonly Route[] = ["chat", "models", "server"];

/** Hash routing (#/chat, #/models, #/server): no path of the app can meet one of the API's. */
export function useHashRoute(): Route {
    const read = (): Route => {
        const name = location.hash.replace(/^#\/?/, "").split(/[/?]/)[0] as Route;
        return routes.includes(name) ? name : "chat";
    };
    const [route, setRoute] = useState(read);
    useEffect(() => {
        const changed = () => setRoute(read());
        addEventListener("hashchange", changed);
        return () => removeEventListener("hashchange", changed);
    }, []);
    return route;
}

export type Theme = "system" | "light" | "dark";
const themeStorage = "lmhost.theme";

export function readSetting(name: string): string | null {
    try {
        return localStorage.getItem(name);
    } catch {
        return null;
    }
}

export function writeSetting(name: string, value: string | null): void {
    try {
        if (value === null) localStorage.removeItem(name);
        else localStorage.setItem(name, value);
    } catch {
        // Storage refused: the setting lasts this page.
    }
}

/** The theme: the system's (prefers-color-scheme) unless the toggle chose light or dark. */
export function useTheme(): [Theme, () => void] {
    const [theme, setTheme] = useState<Theme>(() => {
        const stored = readSetting(themeStorage);
        return stored === "light" || stored === "dark" ? stored : "system";
    });
    useEffect(() => {
        if (theme === "system") delete document.documentElement.dataset.theme;
        else document.documentElement.dataset.theme = theme;
        writeSetting(themeStorage, theme === "system" ? null : theme);
    }, [theme]);
    const next = () => setTheme((current) => (current === "system" ? "light" : current === "light" ? "dark" : "system"));
    return [theme, next];
}

/** Calls `tick` now and every `ms` while `active` and the page is visible; a tick's promise is awaited before the next. */
export function usePolling(tick: () => Promise<void> | void, ms: number, active: boolean): void {
    const latest = useRef(tick);
    latest.current = tick;
    useEffect(() => {
        if (!active) return;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let stopped = false;
        let running = false;
        const run = async () => {
            if (stopped || running) return;
            running = true;
            if (document.visibilityState === "visible") await Promise.resolve(latest.current()).catch(() => undefined);
            running = false;
            if (!stopped) timer = setTimeout(run, ms);
        };
        const visible = () => {
            if (document.visibilityState === "visible" && !stopped && !running) {
                clearTimeout(timer);
                void run();
            }
        };
        void run();
        document.addEventListener("visibilitychange", visible);
        return () => {
            stopped = true;
            clearTimeout(timer);
            document.removeEventListener("visibilitychange", visible);
        };
    }, [ms, active]);
}
