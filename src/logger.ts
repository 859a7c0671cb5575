/** The logging the services need; Fastify's pino logger satisfies it. */
export type Logger = {
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
    debug(message: string): void;
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
