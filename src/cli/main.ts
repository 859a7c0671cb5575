#!/usr/bin/env node
import { createRequire } from "node:module";
import { Command, CommanderError } from "commander";
import { chatCommand } from "./chat.js";
import { ExitCode } from "./common.js";
import { getCommand } from "./get.js";
import { loadCommand, unloadCommand } from "./load.js";
import { lsCommand } from "./ls.js";
import { psCommand } from "./ps.js";
import { serveCommand } from "./serve.js";
import { statusCommand } from "./status.js";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

const program = new Command("lmhost")
    .description("A local LLM server for GGUF models: LM Studio's REST API and the OpenAI API on llama.cpp")
    .version(version);
for (const command of [serveCommand(), lsCommand(), psCommand(), loadCommand(), unloadCommand(), getCommand(), chatCommand(), statusCommand()]) {
    program.addCommand(command.exitOverride());
}
program.exitOverride();

try {
    await program.parseAsync();
} catch (error) {
    // Help and version exit 0; a usage mistake (unknown option, missing argument) exits 2.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? ExitCode.ok : ExitCode.usage);
    throw error;
}
