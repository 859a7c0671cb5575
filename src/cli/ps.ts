/** `lmhost ps`: the model instances a running server has loaded. */
import { Command } from "commander";
import type { V1Model } from "../schemas/v1/models.js";
import { action, printJson, serverOptions, table } from "./common.js";
import { ServerClient } from "./serverClient.js";

export function psCommand(): Command {
    return serverOptions(new Command("ps"))
        .description("List the loaded model instances of the running server")
        .option("--json", "print JSON for scripts")
        .action(action(async (options: { json?: boolean; host?: string; port?: string; apiKey?: string }) => {
            const { models } = await new ServerClient(options).request<{ models: V1Model[] }>("GET", "/api/v1/models");
            const instances = models.flatMap((model) => model.loaded_instances.map((instance) => ({ model: model.key, type: model.type, ...instance })));
            if (options.json) {
                printJson(instances);
                return;
            }
            if (instances.length === 0) {
                process.stdout.write("No models are loaded.\n");
                return;
            }
            process.stdout.write(`${table(["INSTANCE", "MODEL", "TYPE", "CONTEXT", "PARALLEL", "TTL", "LOADED BY", "REQUESTS"], instances.map((instance) => [
                instance.id, instance.model, instance.type, String(instance.config.context_length), String(instance.config.parallel),
                instance.ttl_seconds === null ? "-" : `${instance.ttl_seconds}s`, instance.load_origin, String(instance.requests_in_flight)
            ]))}\n`);
        }));
}
