/** `lmhost status`: whether a server is running, where, and what it has loaded. */
import { Command } from "commander";
import type { V1Model } from "../schemas/v1/models.js";
import { action, CliError, ExitCode, printJson, serverOptions } from "./common.js";
import { busyServer, ServerClient } from "./serverClient.js";

export function statusCommand(): Command {
    return serverOptions(new Command("status"))
        .description("Say whether an lmhost server is running (exit code 3 when not) and what it has loaded")
        .option("--json", "print JSON for scripts")
        .action(action(async (options: { json?: boolean; host?: string; port?: string; apiKey?: string }) => {
            const client = new ServerClient(options);
            const probe = await client.probe();
            if (probe === "none") {
                if (options.json) printJson({ running: false, url: client.baseUrl });
                throw new CliError(`no lmhost server is running at ${client.baseUrl}`, ExitCode.noServer);
            }
            if (probe === "busy") {
                if (options.json) printJson({ running: true, responding: false, url: client.baseUrl });
                throw new CliError(busyServer(client.baseUrl));
            }
            const { models } = await client.request<{ models: V1Model[] }>("GET", "/api/v1/models");
            const loaded = models.flatMap((model) => model.loaded_instances.map((instance) => instance.id));
            if (options.json) printJson({ running: true, url: client.baseUrl, models: models.length, loaded });
            else process.stdout.write(`lmhost is running at ${client.baseUrl}: ${models.length} model${models.length === 1 ? "" : "s"} found, ` +
                `${loaded.length === 0 ? "none loaded" : `loaded: ${loaded.join(", ")}`}\n`);
        }));
}
