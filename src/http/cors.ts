/**
 * CORS, off unless asked for: `--cors` allows any origin, `--cors <origin,...>` those origins. Preflights get
 * `Access-Control-Allow-Private-Network` as well, so pages on the internet may call a server on this machine
 * only when CORS was switched on for them (Chrome's Private Network Access).
 */
import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

export type CorsSetting = false | true | string[];

export async function allowCrossOrigin(app: FastifyInstance, setting: CorsSetting): Promise<void> {
    if (setting === false) return;
    app.addHook("onRequest", async (request, reply) => {
        if (request.method === "OPTIONS" && request.headers["access-control-request-private-network"] === "true") {
            reply.header("access-control-allow-private-network", "true");
        }
    });
    await app.register(cors, {
        origin: setting === true ? "*" : setting,
        methods: ["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
        allowedHeaders: ["content-type", "authorization", "x-api-key"],
        maxAge: 600
    });
}
