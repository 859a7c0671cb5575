/**
 * The server, live: `GET /lmhost/status` every 2 s while this view is shown. Loaded instances with their
 * sequences busy and queue, the last 15 minutes as small charts (SVG drawn here), totals and memory.
 */
import { useState } from "preact/hooks";
import { getJson, type ServerStatus } from "../api";
import { bytes, duration, fixed, integer, time } from "../format";
import { usePolling } from "../hooks";

type Point = { label: string; value: number | null };

const width = 300;
const height = 84;
const pad = { top: 6, bottom: 4, left: 2, right: 2 };

/** A line (or bars) of the last minutes, oldest first; minutes without a value leave a gap. */
function Chart({ title, points, format, kind, testId }: { title: string; points: Point[]; format: (value: number) => string; kind: "line" | "bars"; testId: string }) {
    const values = points.map((point) => point.value).filter((value): value is number => value !== null);
    const max = Math.max(kind === "bars" ? 1 : 0, ...values) || 1;
    const latest = [...points].reverse().find((point) => point.value !== null)?.value ?? null;
    const slots = Math.max(points.length, 2);
    const x = (index: number) => pad.left + (index / (slots - 1)) * (width - pad.left - pad.right);
    const y = (value: number) => pad.top + (1 - value / max) * (height - pad.top - pad.bottom);
    const summary = `${title}, last ${points.length} minutes: ${latest === null ? "no data" : `latest ${format(latest)}`}, highest ${values.length ? format(Math.max(...values)) : "–"}`;

    let shapes;
    if (kind === "bars") {
        const barWidth = Math.max(2, (width - pad.left - pad.right) / Math.max(points.length, 1) - 3);
        shapes = points.map((point, index) => point.value === null || point.value === 0 ? null : (
            <rect key={index} class="bar" x={pad.left + index * ((width - pad.left - pad.right) / Math.max(points.length, 1)) + 1.5} width={barWidth}
                y={y(point.value)} height={height - pad.bottom - y(point.value)}><title>{`${point.label}: ${format(point.value)}`}</title></rect>
        ));
    } else {
        // Runs of consecutive values, each a polyline; a lone value a dot.
        const runs: Array<Array<[number, number]>> = [];
        let run: Array<[number, number]> = [];
        points.forEach((point, index) => {
            if (point.value === null) {
                if (run.length) runs.push(run);
                run = [];
            } else run.push([x(index), y(point.value)]);
        });
        if (run.length) runs.push(run);
        shapes = runs.map((line, index) => line.length === 1
            ? <circle key={index} class="dot" cx={line[0]![0]} cy={line[0]![1]} r={2.5} />
            : <polyline key={index} class="line" points={line.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ")} />);
    }
    return (
        <figure class="chart card" data-testid={testId}>
            <figcaption>
                <span>{title}</span>
                <strong data-testid={`${testId}-latest`}>{latest === null ? "–" : format(latest)}</strong>
            </figcaption>
            <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
                <line class="axis" x1={pad.left} x2={width - pad.right} y1={height - pad.bottom} y2={height - pad.bottom} />
                {shapes}
            </svg>
            <div class="chart-scale"><span>{points[0] ? time(points[0].label) : ""}</span><span>max {format(max)}</span><span>{points.length ? time(points[points.length - 1]!.label) : ""}</span></div>
        </figure>
    );
}

function Total({ label, value, testId }: { label: string; value: number; testId: string }) {
    return <div class="total"><dt>{label}</dt><dd id={testId} data-testid={testId} data-value={value}>{integer(value)}</dd></div>;
}

export function Server({ active }: { active: boolean }) {
    const [status, setStatus] = useState<ServerStatus | null>(null);
    const [error, setError] = useState<string | null>(null);
    const [updatedAt, setUpdatedAt] = useState<number | null>(null);

    usePolling(async () => {
        try {
            setStatus(await getJson<ServerStatus>("/lmhost/status"));
            setUpdatedAt(Date.now());
            setError(null);
        } catch (failure) {
            setError((failure as Error).message);
        }
    }, 2000, active);

    const recent = status?.recent ?? [];
    const series = (pick: (minute: ServerStatus["recent"][number]) => number | null): Point[] => recent.map((minute) => ({ label: minute.minute, value: pick(minute) }));
    const engineMemory = (status?.instances ?? []).reduce((sum, instance) => sum + (instance.memory_bytes ?? 0), 0);

    return (
        <section class="view server" hidden={!active} aria-labelledby="server-title">
            <div class="view-head">
                <h1 id="server-title">Server</h1>
                <span class="hint" data-testid="server-updated" aria-live="off">
                    {status ? `lmhost ${status.version} · up ${duration(status.uptime_seconds)}` : ""}{updatedAt ? ` · updated ${new Date(updatedAt).toLocaleTimeString()}` : ""}
                </span>
            </div>
            {error ? <p class="error" role="alert" data-testid="server-error">Could not read /lmhost/status: {error}</p> : null}
            {status === null && error === null ? <p class="empty">Reading the server's status…</p> : null}
            {status ? (
                <>
                    <dl class="totals card" data-testid="server-totals">
                        <Total label="Requests" value={status.totals.requests} testId="total-requests" />
                        <Total label="Errors" value={status.totals.errors} testId="total-errors" />
                        <Total label="Completions" value={status.totals.completions} testId="total-completions" />
                        <Total label="Prompt tokens" value={status.totals.prompt_tokens} testId="total-prompt-tokens" />
                        <Total label="Completion tokens" value={status.totals.completion_tokens} testId="total-completion-tokens" />
                        <div class="total"><dt>Server memory</dt><dd data-testid="memory-rss" title={`heap ${bytes(status.memory.heap_used_bytes)}`}>{bytes(status.memory.rss_bytes)}</dd></div>
                        <div class="total"><dt>Engines' memory</dt><dd data-testid="memory-engines">{bytes(engineMemory)}</dd></div>
                    </dl>
                    <div class="charts">
                        <Chart title="Tokens per second" kind="line" testId="chart-tokens-per-second" points={series((minute) => minute.tokens_per_second)} format={(value) => fixed(value)} />
                        <Chart title="Time to first token" kind="line" testId="chart-time-to-first-token" points={series((minute) => minute.time_to_first_token_seconds)} format={(value) => `${fixed(value, 2)} s`} />
                        <Chart title="Requests per minute" kind="bars" testId="chart-requests" points={series((minute) => minute.requests)} format={(value) => integer(Math.round(value))} />
                        <Chart title="Errors per minute" kind="bars" testId="chart-errors" points={series((minute) => minute.errors)} format={(value) => integer(Math.round(value))} />
                    </div>
                    <section class="card" aria-labelledby="instances-title">
                        <h2 id="instances-title">Loaded instances</h2>
                        {status.instances.length === 0 ? <p class="hint" data-testid="no-instances">None loaded: a model loads with its first request, or from Models.</p> : (
                            <div class="table-scroll">
                                <table class="instances" data-testid="server-instances">
                                    <thead>
                                        <tr><th>Instance</th><th>Model</th><th>Type</th><th>Busy / sequences</th><th>Queued</th><th>Held</th><th>Context</th><th>TTL</th><th>Loaded</th><th>Memory</th></tr>
                                    </thead>
                                    <tbody>
                                        {status.instances.map((instance) => (
                                            <tr key={instance.id} data-testid="instance-row" data-instance={instance.id}>
                                                <td><code>{instance.id}</code></td>
                                                <td>{instance.model}</td>
                                                <td>{instance.type}{instance.origin === "jit" ? " (on demand)" : ""}</td>
                                                <td data-testid="instance-busy"><meter min={0} max={Math.max(1, instance.sequences)} value={instance.busy} aria-label="Busy sequences" /> {instance.busy} / {instance.sequences}</td>
                                                <td data-testid="instance-queued">{instance.queued}</td>
                                                <td>{instance.held}</td>
                                                <td>{integer(instance.context_length)}</td>
                                                <td>{instance.ttl_seconds === null ? "never" : duration(instance.ttl_seconds)}</td>
                                                <td>{time(instance.loaded_at)}</td>
                                                <td data-testid="instance-memory">{bytes(instance.memory_bytes)}</td>
                                            </tr>
                                        ))}
                                    </tbody>
                                </table>
                            </div>
                        )}
                    </section>
                </>
            ) : null}
        </section>
    );
}
