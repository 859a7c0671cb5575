/** `lmhost load` and `lmhost unload`: explicit loads on the running server. */
import { Command } from "commander";
import { action, CliError, ExitCode, printJson, serverOptions, type ServerAddress } from "./common.js";
import { ServerClient } from "./serverClient.js";

type LoadOptions = ServerAddress & { contextLength?: string; parallel?: string; ttl?: string; identifier?: string; json?: boolean };

const integer = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) throw new CliError(`${flag} must be a positive integer, got "${value}"`, ExitCode.usage);
    return parsed;
};

export function loadCommand(): Command {
    return serverOptions(new Command("load"))
        .description("Load a model on the running server; it stays loaded until unloaded (or idle for --ttl seconds)")
        .argument("<model>", "a model id, id@quant or publisher/repo")
        .option("--context-length <n>", "context length per request")
        .option("--parallel <n>", "requests served at once")
        .option("--ttl <seconds>", "unload after this many idle seconds")
        .option("--identifier <id>", "the instance id requests use (default: the model id)")
        .option("--json", "print JSON for scripts")
        .action(action(async (model: string, options: LoadOptions) => {
            const body = {
                model,
                context_length: integer("--context-length", options.contextLength),
                parallel: integer("--parallel", options.parallel),
                ttl: integer("--ttl", options.ttl),
                identifier: options.identifier
            };
            const loaded = await new ServerClient(options).request<{ instance_id: string; type: string; load_time_seconds: number }>("POST", "/api/v1/models/load", body);
            if (options.json) printJson(loaded);
            else process.stdout.write(`Loaded ${model} as "${loaded.instance_id}" in ${loaded.load_time_seconds.toFixed(2)} s\n`);
        }));
}

export function unloadCommand(): Command {
    return serverOptions(new Command("unload"))
        .description("Unload a model instance (or --all) from the running server")
        .argument("[instance]", "the instance id (see lmhost ps)")
        .option("--all", "unload every loaded instance")
        .option("--json", "print JSON for scripts")
        .action(action(async (instance: string | undefined, options: { all?: boolean; json?: boolean; host?: string; port?: string; apiKey?: string }) => {
            if ((instance === undefined) === !options.all) throw new CliError("name one instance, or pass --all", ExitCode.usage);
            const client = new ServerClient(options);
            const ids = options.all
                ? (await client.request<{ models: Array<{ loaded_instances: Array<{ id: string }> }> }>("GET", "/api/v1/models")).models
                    .flatMap((model) => model.loaded_instances.map((loaded) => loaded.id))
                : [instance!];
            for (const id of ids) await client.request("POST", "/api/v1/models/unload", { instance_id: id });
            if (options.json) printJson({ unloaded: ids });
            else process.stdout.write(ids.length === 0 ? "Nothing was loaded.\n" : ids.map((id) => `Unloaded "${id}"\n`).join(""));
        }));
}
