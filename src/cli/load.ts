/** `lmhost load` and `lmhost unload`: explicit loads on the running server. */
import { Command, Option } from "commander";
import { action, CliError, ExitCode, printJson, serverOptions, type ServerAddress } from "./common.js";
import { contextBeyondTraining } from "../models/lifecycle/ModelLifecycle.js";
import type { V1Model } from "../schemas/v1/models.js";
import { ServerClient } from "./serverClient.js";

type LoadOptions = ServerAddress & { contextLength?: string; parallel?: string; ttl?: string; identifier?: string; kvCacheType?: string; draftModel?: string; draftMax?: string; draftMinConfidence?: string; promptLookup?: boolean; json?: boolean };

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
        .addOption(new Option("--kv-cache-type <type>", "the KV cache's element type: q8_0 takes about half the memory of f16, q4_0 a quarter")
            .choices(["f16", "q8_0", "q4_0"]))
        .option("--draft-model <model>", "speculative decoding: a smaller model with the same vocabulary drafts tokens the model verifies")
        .option("--draft-max <n>", "tokens the draft proposes per step at most (default 3)")
        .option("--draft-min-confidence <p>", "the draft stops proposing below this probability, 0 to 1 (default 0: always proposes)")
        .option("--prompt-lookup", "speculative decoding from the prompt (pays when answers copy their input)")
        .option("--json", "print JSON for scripts")
        .action(action(async (model: string, options: LoadOptions) => {
            const body = {
                model,
                context_length: integer("--context-length", options.contextLength),
                parallel: integer("--parallel", options.parallel),
                ttl: integer("--ttl", options.ttl),
                identifier: options.identifier,
                kv_cache_type: options.kvCacheType,
                draft_model: options.draftModel,
                draft_max_tokens: integer("--draft-max", options.draftMax),
                draft_min_confidence: options.draftMinConfidence === undefined ? undefined : Number(options.draftMinConfidence),
                prompt_lookup: options.promptLookup
            };
            const client = new ServerClient(options);
            const loaded = await client.request<{ instance_id: string; type: string; load_time_seconds: number }>("POST", "/api/v1/models/load", body);
            if (options.json) printJson(loaded);
            else process.stdout.write(`Loaded ${model} as "${loaded.instance_id}" in ${loaded.load_time_seconds.toFixed(2)} s\n`);
            if (body.context_length !== undefined) {
                const { models } = await client.request<{ models: V1Model[] }>("GET", "/api/v1/models");
                const loadedModel = models.find((candidate) => candidate.loaded_instances.some((instance) => instance.id === loaded.instance_id));
                if (loadedModel !== undefined && body.context_length > loadedModel.max_context_length) {
                    process.stderr.write(`lmhost: warning: ${contextBeyondTraining(loadedModel.key, body.context_length, loadedModel.max_context_length)}\n`);
                }
            }
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
            // One call for --all: the server also cancels the loads in flight, and no TTL can race a listing.
            const { unloaded, cancelled_loads: cancelled } = options.all
                ? await client.request<{ unloaded: string[]; cancelled_loads: string[] }>("POST", "/api/v1/models/unload-all")
                : { unloaded: [(await client.request<{ instance_id: string }>("POST", "/api/v1/models/unload", { instance_id: instance })).instance_id], cancelled_loads: [] };
            if (options.json) printJson({ unloaded, cancelled_loads: cancelled });
            else if (unloaded.length === 0 && cancelled.length === 0) process.stdout.write("Nothing was loaded.\n");
            else process.stdout.write([...unloaded.map((id) => `Unloaded "${id}"`), ...cancelled.map((id) => `Cancelled the load of "${id}"`)].join("\n") + "\n");
        }));
}
