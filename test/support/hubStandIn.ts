/**
 * A local stand-in for the Hugging Face Hub: the tree API (`/api/models/<repo>/tree/main`), and file
 * downloads (`/<repo>/resolve/main/<path>`) that redirect to a blob URL serving HTTP ranges, as the Hub's CDN
 * does. It can cut a transfer short once, publish a wrong checksum, and require a token.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";

export type StandInFile = { path: string; content: Buffer; /** Publish this SHA-256 instead of the real one. */ publishedSha256?: string };

export type StandInOptions = {
    /** Close the connection after this many bytes of the first download of each file. */
    interruptFirstTransferAfter?: number;
    /** Answer 401 unless `Authorization: Bearer <token>`. */
    token?: string;
    /** Send file contents at about this rate, in 16 KiB pieces, so that a download's progress can be watched. */
    bytesPerSecond?: number;
};

export type RecordedRequest = { method: string; url: string; range: string | undefined; authorization: string | undefined };

export type HubStandIn = {
    url: string;
    requests: RecordedRequest[];
    close(): Promise<void>;
};

const sha256 = (content: Buffer) => createHash("sha256").update(content).digest("hex");

export async function startHubStandIn(repos: Record<string, StandInFile[]>, options: StandInOptions = {}): Promise<HubStandIn> {
    const requests: RecordedRequest[] = [];
    const interrupted = new Set<string>();
    const blobs = new Map<string, StandInFile>();
    for (const files of Object.values(repos)) for (const file of files) blobs.set(sha256(file.content), file);

    const authorized = (request: IncomingMessage) => options.token === undefined || request.headers.authorization === `Bearer ${options.token}`;

    const server: Server = createServer((request, response) => {
        const url = new URL(request.url ?? "/", "http://stand-in");
        requests.push({ method: request.method ?? "GET", url: url.pathname, range: request.headers.range, authorization: request.headers.authorization });
        if (!authorized(request)) {
            response.writeHead(401).end(JSON.stringify({ error: "Invalid credentials" }));
            return;
        }
        const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main$/.exec(url.pathname);
        if (tree) {
            const files = repos[tree[1]!];
            if (!files) {
                response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "Repository not found" }));
                return;
            }
            const folders = [...new Set(files.flatMap((file) => file.path.split("/").slice(0, -1)))];
            response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([
                ...folders.map((folder) => ({ type: "directory", path: folder, size: 0, oid: "0".repeat(40) })),
                ...files.map((file) => ({
                    type: "file", path: file.path, size: file.content.length, oid: "1".repeat(40),
                    lfs: { oid: file.publishedSha256 ?? sha256(file.content), size: file.content.length, pointerSize: 134 }
                })),
                { type: "file", path: "README.md", size: 12, oid: "2".repeat(40) }
            ]));
            return;
        }
        const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
        if (resolve) {
            const file = repos[resolve[1]!]?.find((candidate) => candidate.path === decodeURIComponent(resolve[2]!));
            if (!file) {
                response.writeHead(404).end();
                return;
            }
            response.writeHead(302, { location: `/blobs/${sha256(file.content)}` }).end();
            return;
        }
        const blob = /^\/blobs\/([0-9a-f]{64})$/.exec(url.pathname);
        const file = blob ? blobs.get(blob[1]!) : undefined;
        if (!file) {
            response.writeHead(404).end();
            return;
        }
        const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
        const start = range ? Number(range[1]) : 0;
        const body = file.content.subarray(start);
        response.writeHead(range ? 206 : 200, {
            "content-length": body.length,
            "accept-ranges": "bytes",
            ...(range ? { "content-range": `bytes ${start}-${file.content.length - 1}/${file.content.length}` } : {})
        });
        const cutAt = options.interruptFirstTransferAfter;
        if (cutAt !== undefined && !interrupted.has(file.path) && body.length > cutAt) {
            interrupted.add(file.path);
            response.write(body.subarray(0, cutAt), () => setTimeout(() => response.destroy(), 20));
            return;
        }
        const rate = options.bytesPerSecond;
        if (rate === undefined) {
            response.end(body);
            return;
        }
        const piece = 16 * 1024;
        const send = (at: number) => {
            if (response.destroyed) return;
            if (at >= body.length) {
                response.end();
                return;
            }
            response.write(body.subarray(at, at + piece));
            setTimeout(() => send(at + piece), (piece / rate) * 1000);
        };
        send(0);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        })
    };
}
