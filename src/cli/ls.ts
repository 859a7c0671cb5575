/** `lmhost ls`: the models on disk, with size, quantization, architecture, context and load state. */
import { Command, Option } from "commander";
import { resolveConfig } from "../config.js";
import { silentLogger } from "../logger.js";
import { toV1Model } from "../http/routes/v1/v1Shapes.js";
import type { V1Model } from "../schemas/v1/models.js";
import { action, CliError, formatBytes, printJson, serverOptions, table } from "./common.js";
import { busyServer, ServerClient } from "./serverClient.js";

/** Without a server the catalog is read from disk (where `lmhost serve` would look); load state is then unknown. */
async function modelsOnDisk(modelsDirs: string[] | undefined): Promise<V1Model[]> {
    const [{ ModelCatalog }, { modelSources }] = await Promise.all([import("../models/catalog/ModelCatalog.js"), import("../server.js")]);
    const config = resolveConfig(modelsDirs ? { modelsDir: modelsDirs } : {});
    const entries = await new ModelCatalog(modelSources(config), silentLogger).list();
    return entries.map((entry) => toV1Model({ ...entry, loaded: false, instances: [] }));
}

export function lsCommand(): Command {
    return serverOptions(new Command("ls"))
        .description("List the models found, with size, quantization, architecture, context length and whether they are loaded")
        .option("--json", "print JSON for scripts")
        .addOption(new Option("--models-dir <dir...>", "when no server is running: folders to look in (default: where lmhost serve looks)").env("LMHOST_MODELS_DIR"))
        .action(action(async (options: { json?: boolean; host?: string; port?: string; modelsDir?: string[] }) => {
            const client = new ServerClient(options);
            const probe = await client.probe();
            // Reading the folders instead would list what this command finds, not what that server serves.
            if (probe === "busy") throw new CliError(busyServer(client.baseUrl));
            const running = probe === "running";
            const models = running
                ? (await client.request<{ models: V1Model[] }>("GET", "/api/v1/models")).models
                : await modelsOnDisk(options.modelsDir);
            if (options.json) {
                printJson(models.map((model) => ({ ...model, loaded: running ? model.loaded_instances.length > 0 : null })));
                return;
            }
            if (models.length === 0) {
                process.stdout.write("No models found. Download one with: lmhost get <user>/<repo>\n");
                return;
            }
            process.stdout.write(`${table(["MODEL", "TYPE", "ARCH", "QUANT", "SIZE", "CONTEXT", "LOADED", "PUBLISHER"], models.map((model) => [
                model.key, model.type, model.architecture, model.quantization.name, formatBytes(model.size_bytes), String(model.max_context_length),
                running ? model.loaded_instances.map((instance) => instance.id).join(",") || "-" : "?", model.publisher
            ]))}\n`);
            if (!running) process.stdout.write(`\n(no server at ${client.baseUrl}: load state unknown)\n`);
        }));
}
