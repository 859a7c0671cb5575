import type { FastifyReply } from "fastify";
import type { FastifyInstance } from "fastify";
import type { TSchema } from "typebox";
import { ErrorEnvelope } from "../../schemas/errorEnvelope.js";
import { ModelParams, ModelWildcardParams } from "../../schemas/v0/models.js";

/**
 * Registers GET `<prefix>/{model}` (documented) and its wildcard twin `<prefix>/*` (hidden), both answering
 * `describe(reference)`, so `publisher/repo` works with its slash as typed.
 */
export function registerModelRoute<T>(app: FastifyInstance, prefix: string, options: { summary: string; tags: string[]; response: TSchema },
    describe: (reference: string, reply: FastifyReply) => Promise<T>): void {
    const response = { 200: options.response, 404: ErrorEnvelope };
    app.get(`${prefix}/:model`, { schema: { summary: options.summary, tags: options.tags, params: ModelParams, response } },
        (request, reply) => describe((request.params as { model: string }).model, reply));
    app.get(`${prefix}/*`, { schema: { hide: true, params: ModelWildcardParams, response } },
        (request, reply) => describe((request.params as { "*": string })["*"], reply));
}
