#!/usr/bin/env node
import { createRequire } from "node:module";
import { Command } from "commander";
import { serveCommand } from "./serve.js";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

const program = new Command("lmhost")
    .description("A local LLM server for GGUF models: LM Studio's REST API on llama.cpp")
    .version(version)
    .addCommand(serveCommand());

await program.parseAsync();
