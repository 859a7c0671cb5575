/** `lmhost get`: download a model from the Hugging Face Hub into the models folder, with a progress bar. */
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { defaultModelsDir } from "../config.js";
import { HubDownloader } from "../models/download/HubDownloader.js";
import { action, formatBytes, printJson } from "./common.js";

export function getCommand(): Command {
    return new Command("get")
        .description("Download a GGUF model from the Hugging Face Hub (HF_ENDPOINT and HF_TOKEN are honoured)")
        .argument("<model>", "user/repo (Q4_K_M or the nearest quantization), user/repo@Q8_0, or user/repo/file.gguf")
        .addOption(new Option("--models-dir <dir>", "where to put it (default: LM Studio's models folder)").env("LMHOST_MODELS_DIR"))
        .option("--json", "print JSON for scripts instead of a progress bar")
        .action(action(async (spec: string, options: { modelsDir?: string; json?: boolean }) => {
            const folder = options.modelsDir?.split(",")[0] ?? defaultModelsDir();
            const downloader = new HubDownloader();
            const plan = await downloader.plan(spec, folder);
            const showBar = !options.json && process.stderr.isTTY;
            if (!options.json) {
                process.stderr.write(`Downloading ${plan.files.map((file) => file.path).join(", ")} from ${plan.repo} (${formatBytes(plan.totalBytes)})\n`);
            }
            const bar = new cliProgress.SingleBar({
                format: " {bar} {percentage}% | {done} of {total_size} | {speed}/s | ETA {eta_formatted}",
                hideCursor: true,
                stream: process.stderr
            }, cliProgress.Presets.shades_classic);
            if (showBar) bar.start(plan.totalBytes, 0, { done: formatBytes(0), total_size: formatBytes(plan.totalBytes), speed: formatBytes(0) });
            const files = await downloader.download(plan, (progress) => {
                if (showBar) bar.update(progress.downloadedBytes, { done: formatBytes(progress.downloadedBytes), speed: formatBytes(progress.bytesPerSecond) });
            }).finally(() => {
                if (showBar) bar.stop();
            });
            if (options.json) printJson({ repo: plan.repo, files, total_size_bytes: plan.totalBytes });
            else process.stdout.write(`Saved ${files.join(", ")}\n`);
        }));
}
