/**
 * Every model lmhost found (`GET /api/v1/models`), loading with options (`POST /api/v1/models/load`), unloading
 * (`POST /api/v1/models/unload`) and downloads from the Hugging Face Hub (`POST /api/v1/models/download`, then
 * `GET /api/v1/models/download/status/{job_id}` every second).
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, getJson, postJson, type DownloadJob, type Model, type ServerStatus } from "../api";
import { bytes, duration, integer, percent } from "../format";
import { usePolling } from "../hooks";

type LoadOptions = { context_length: string; parallel: string; ttl: string; kv_cache_type: "" | "f16" | "q8_0" | "q4_0"; identifier: string };
const noOptions: LoadOptions = { context_length: "", parallel: "", ttl: "", kv_cache_type: "", identifier: "" };

function loadBody(model: string, options: LoadOptions) {
    const integerOf = (value: string) => (value.trim() === "" ? undefined : Math.round(Number(value)));
    const body: Record<string, unknown> = { model };
    for (const name of ["context_length", "parallel", "ttl"] as const) {
        const value = integerOf(options[name]);
        if (value !== undefined && Number.isFinite(value)) body[name] = value;
    }
    if (options.kv_cache_type !== "") body.kv_cache_type = options.kv_cache_type;
    if (options.identifier.trim() !== "") body.identifier = options.identifier.trim();
    return body;
}

function ModelCard({ model, onChanged }: { model: Model; onChanged: () => Promise<void> }) {
    const [options, setOptions] = useState<LoadOptions>(noOptions);
    const [loading, setLoading] = useState<number | null>(null);
    const [unloading, setUnloading] = useState<string | null>(null);
    const [error, setError] = useState<string | null>(null);
    const [now, setNow] = useState(Date.now());
    /** The load's real progress, from the server's status (null until it reports one). */
    const [progress, setProgress] = useState<number | null>(null);
    useEffect(() => {
        if (loading === null) return;
        let asking = false;
        const timer = setInterval(() => {
            setNow(Date.now());
            if (asking) return;
            asking = true;
            getJson<ServerStatus>("/lmhost/status")
                .then((status) => {
                    const load = status.loading.find((candidate) => candidate.model === model.key);
                    if (load !== undefined) setProgress(load.progress);
                })
                .catch(() => undefined)
                .finally(() => { asking = false; });
        }, 500);
        return () => {
            clearInterval(timer);
            setProgress(null);
        };
    }, [loading]);
    const id = `model-${model.key.replace(/[^\w-]/g, "_")}`;
    const set = (name: keyof LoadOptions, value: string) => setOptions({ ...options, [name]: value });

    async function load(event: Event) {
        event.preventDefault();
        setError(null);
        setLoading(Date.now());
        setNow(Date.now());
        try {
            await postJson("/api/v1/models/load", loadBody(model.key, options));
        } catch (failure) {
            setError((failure as Error).message);
        } finally {
            setLoading(null);
            await onChanged();
        }
    }

    async function unload(instance: string) {
        setError(null);
        setUnloading(instance);
        try {
            await postJson("/api/v1/models/unload", { instance_id: instance });
        } catch (failure) {
            setError((failure as Error).message);
        } finally {
            setUnloading(null);
            await onChanged();
        }
    }

    const facts: Array<[string, string]> = [
        ["Type", model.type],
        ["Publisher", model.publisher],
        ["Source", model.source],
        ["Size", bytes(model.size_bytes)],
        ["Quantization", model.quantization.name + (model.quantization.bits_per_weight !== null ? ` (${model.quantization.bits_per_weight.toFixed(2)} bpw)` : "")],
        ["Parameters", model.params_string ?? "–"],
        ["Context", `${integer(model.max_context_length)} tokens`],
        ["Architecture", model.architecture]
    ];
    const loaded = model.loaded_instances.length > 0;
    return (
        <li class="card model-card" data-testid="model-card" data-model={model.key} data-loaded={loaded ? "true" : "false"}>
            <div class="card-head">
                <h2>{model.display_name}</h2>
                <code class="model-key">{model.key}</code>
                <span class={`chip${loaded ? " ok" : ""}`} data-testid="model-state">{loaded ? "loaded" : "not loaded"}</span>
                {model.capabilities.trained_for_tool_use ? <span class="chip">tools</span> : null}
                {model.capabilities.vision ? <span class="chip">vision</span> : null}
            </div>
            <dl class="facts">
                {facts.map(([name, value]) => <div key={name}><dt>{name}</dt><dd>{value}</dd></div>)}
                <div class="wide"><dt>Path</dt><dd><code class="path" data-testid="model-path">{model.path}</code></dd></div>
            </dl>
            {loaded ? (
                <table class="instances">
                    <caption class="sr-only">Loaded instances of {model.key}</caption>
                    <thead><tr><th>Instance</th><th>Context</th><th>Parallel</th><th>KV cache</th><th>TTL</th><th>Origin</th><th>Busy</th><th /></tr></thead>
                    <tbody>
                        {model.loaded_instances.map((instance) => (
                            <tr key={instance.id} data-testid="loaded-instance" data-instance={instance.id}>
                                <td><code>{instance.id}</code></td>
                                <td>{integer(instance.config.context_length)}</td>
                                <td>{instance.config.parallel}</td>
                                <td>{instance.config.kv_cache_type ?? "f16"}</td>
                                <td>{instance.ttl_seconds === null ? "never" : duration(instance.ttl_seconds)}</td>
                                <td>{instance.load_origin === "jit" ? "on demand" : "explicit"}</td>
                                <td>{instance.requests_in_flight}</td>
                                <td>
                                    <button type="button" class="quiet" data-testid="unload-button" data-instance={instance.id} disabled={unloading !== null}
                                        onClick={() => void unload(instance.id)}>{unloading === instance.id ? "Unloading…" : "Unload"}</button>
                                </td>
                            </tr>
                        ))}
                    </tbody>
                </table>
            ) : null}
            <form class="load-form" onSubmit={(event) => void load(event)}>
                <details>
                    <summary>Load options</summary>
                    <fieldset class="grid-5" disabled={loading !== null}>
                        <div>
                            <label for={`${id}-context`}>Context length</label>
                            <input id={`${id}-context`} name="context_length" type="number" min={32} max={model.max_context_length} placeholder="default"
                                data-testid="load-context-length" value={options.context_length} onInput={(event) => set("context_length", event.currentTarget.value)} />
                        </div>
                        <div>
                            <label for={`${id}-parallel`}>Parallel</label>
                            <input id={`${id}-parallel`} name="parallel" type="number" min={1} max={64} placeholder="default"
                                data-testid="load-parallel" value={options.parallel} onInput={(event) => set("parallel", event.currentTarget.value)} />
                        </div>
                        <div>
                            <label for={`${id}-ttl`}>TTL (s)</label>
                            <input id={`${id}-ttl`} name="ttl" type="number" min={1} placeholder="never"
                                data-testid="load-ttl" value={options.ttl} onInput={(event) => set("ttl", event.currentTarget.value)} />
                        </div>
                        <div>
                            <label for={`${id}-kv`}>KV cache</label>
                            <select id={`${id}-kv`} name="kv_cache_type" data-testid="load-kv-cache-type" value={options.kv_cache_type}
                                onChange={(event) => set("kv_cache_type", event.currentTarget.value)}>
                                <option value="">default (f16)</option>
                                <option value="f16">f16</option>
                                <option value="q8_0">q8_0</option>
                                <option value="q4_0">q4_0</option>
                            </select>
                        </div>
                        <div>
                            <label for={`${id}-identifier`}>Identifier</label>
                            <input id={`${id}-identifier`} name="identifier" type="text" placeholder={model.key} autocomplete="off" spellcheck={false}
                                data-testid="load-identifier" value={options.identifier} onInput={(event) => set("identifier", event.currentTarget.value)} />
                        </div>
                    </fieldset>
                </details>
                <div class="row">
                    <button type="submit" class="primary" data-testid="load-button" disabled={loading !== null}>
                        {loading !== null ? "Loading…" : loaded ? "Load another" : "Load"}
                    </button>
                    {loading !== null ? (
                        <span class="phase" role="status" data-testid="model-load-progress">
                            {progress === null ? <progress aria-label={`Loading ${model.key}`} /> : <progress aria-label={`Loading ${model.key}`} max={1} value={progress} />}
                            {progress === null ? "" : `${Math.round(progress * 100)}% · `}{Math.max(0, Math.round((now - loading) / 1000))} s
                        </span>
                    ) : null}
                </div>
            </form>
            {error ? <p class="error" role="alert" data-testid="model-error">{error}</p> : null}
        </li>
    );
}

function DownloadRow({ job, name }: { job: DownloadJob; name: string }) {
    const fraction = job.total_size_bytes > 0 ? job.downloaded_bytes / job.total_size_bytes : 0;
    const remaining = job.total_size_bytes - job.downloaded_bytes;
    const eta = job.status === "downloading" && job.bytes_per_second > 0 && job.total_size_bytes > 0 ? remaining / job.bytes_per_second : null;
    const done = job.status === "completed" || job.status === "already_downloaded";
    return (
        <li class="download" data-testid="download-job" data-job={job.job_id} data-status={job.status}>
            <div class="row between">
                <code>{name}</code>
                <span class={`chip${done ? " ok" : job.status === "failed" ? " bad" : ""}`} data-testid="download-status">{job.status.replace("_", " ")}</span>
            </div>
            <progress max={1} value={done ? 1 : fraction} data-testid="download-progress" aria-label={`Download of ${name}`} />
            <p class="hint" data-testid="download-numbers">
                {bytes(job.downloaded_bytes)} of {bytes(job.total_size_bytes)} ({percent(done ? 1 : fraction)})
                {job.status === "downloading" ? <> · {bytes(job.bytes_per_second)}/s · {eta === null ? "estimating…" : `${duration(eta)} left`}</> : null}
            </p>
            {job.files.length > 0 && done ? <p class="hint">Into {job.files.map((file) => <code key={file}>{file} </code>)}</p> : null}
            {job.error ? <p class="error" role="alert" data-testid="download-error">{job.error}</p> : null}
        </li>
    );
}

function Downloads({ onFinished }: { onFinished: () => Promise<void> }) {
    const [name, setName] = useState("");
    const [jobs, setJobs] = useState<Array<{ name: string; job: DownloadJob }>>([]);
    const [starting, setStarting] = useState(false);
    const [error, setError] = useState<string | null>(null);
    const running = jobs.some(({ job }) => job.status === "downloading");

    usePolling(async () => {
        let finished = false;
        const next = await Promise.all(jobs.map(async (entry) => {
            if (entry.job.status !== "downloading") return entry;
            try {
                const job = await getJson<DownloadJob>(`/api/v1/models/download/status/${encodeURIComponent(entry.job.job_id)}`);
                if (job.status !== "downloading") finished = true;
                return { ...entry, job };
            } catch (failure) {
                // A job the server no longer knows has failed; a poll that did not get through is tried again.
                if (failure instanceof ApiError && failure.status === 404) return { ...entry, job: { ...entry.job, status: "failed" as const, error: failure.message } };
                return entry;
            }
        }));
        setJobs((current) => current.map((entry) => next.find((updated) => updated.job.job_id === entry.job.job_id) ?? entry));
        if (finished) await onFinished();
    }, 1000, running);

    async function start(event: Event) {
        event.preventDefault();
        const requested = name.trim();
        if (requested === "") return;
        setError(null);
        setStarting(true);
        try {
            const job = await postJson<DownloadJob>("/api/v1/models/download", { model: requested });
            setJobs((current) => [{ name: requested, job }, ...current.filter((entry) => entry.job.job_id !== job.job_id)]);
            setName("");
            if (job.status !== "downloading") await onFinished();
        } catch (failure) {
            setError((failure as Error).message);
        } finally {
            setStarting(false);
        }
    }

    return (
        <section class="card downloads" aria-labelledby="downloads-title">
            <h2 id="downloads-title">Download from Hugging Face</h2>
            <form class="row" onSubmit={(event) => void start(event)}>
                <label for="download-model" class="sr-only">Model to download</label>
                <input id="download-model" name="model" type="text" placeholder="user/repo or user/repo@Q4_K_M" autocomplete="off" spellcheck={false}
                    data-testid="download-input" value={name} onInput={(event) => setName(event.currentTarget.value)} />
                <button type="submit" class="primary" data-testid="download-button" disabled={starting || name.trim() === ""}>{starting ? "Starting…" : "Download"}</button>
            </form>
            <p class="hint">Picks Q4_K_M unless <code>@QUANT</code> names another; <code>user/repo/file.gguf</code> names a file.</p>
            {error ? <p class="error" role="alert" data-testid="download-start-error">{error}</p> : null}
            {jobs.length > 0 ? <ul class="download-list">{jobs.map(({ name, job }) => <DownloadRow key={job.job_id} name={name} job={job} />)}</ul> : null}
        </section>
    );
}

export function Models({ active }: { active: boolean }) {
    const [models, setModels] = useState<Model[] | null>(null);
    const [error, setError] = useState<string | null>(null);
    const [filter, setFilter] = useState("");
    const refresh = useCallback(async () => {
        try {
            setModels((await getJson<{ models: Model[] }>("/api/v1/models")).models);
            setError(null);
        } catch (failure) {
            setError((failure as Error).message);
        }
    }, []);
    // At once when the view is shown, then every 5 s: loads and unloads from elsewhere (the chat, other clients, TTLs) show up too.
    usePolling(refresh, 5000, active);

    const shown = (models ?? []).filter((model) => filter.trim() === "" || `${model.key} ${model.display_name} ${model.publisher}`.toLowerCase().includes(filter.trim().toLowerCase()));
    const loadedCount = (models ?? []).reduce((count, model) => count + model.loaded_instances.length, 0);
    return (
        <section class="view models" hidden={!active} aria-labelledby="models-title">
            <div class="view-head">
                <h1 id="models-title">Models</h1>
                <span class="hint" data-testid="models-count">{models === null ? "" : `${models.length} found, ${loadedCount} loaded`}</span>
                <div class="row">
                    <label for="model-filter" class="sr-only">Filter models</label>
                    <input id="model-filter" name="filter" type="search" placeholder="Filter" value={filter} onInput={(event) => setFilter(event.currentTarget.value)} />
                    <button type="button" class="quiet" data-testid="refresh-models" onClick={() => void refresh()}>Refresh</button>
                </div>
            </div>
            {error ? <p class="error" role="alert" data-testid="models-error">{error}</p> : null}
            <Downloads onFinished={refresh} />
            {models !== null && models.length === 0 ? <p class="empty">No model found. Download one above, or start lmhost with <code>--models-dir</code>.</p> : null}
            <ul class="model-list" data-testid="model-list">
                {shown.map((model) => <ModelCard key={model.key} model={model} onChanged={refresh} />)}
            </ul>
        </section>
    );
}
