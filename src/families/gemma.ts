/**
 * Gemma 2 and 3: no tool calls of their own (tools are described in text and read in the `<tool_call>`
 * convention), and Gemma 2's template refuses a system message, which the renderer folds into the first user
 * turn. Gemma 4 has its own call syntax, which lmhost does not read yet.
 */
import { hermesLike } from "./hermes.js";

export const gemmaFamily = { ...hermesLike("gemma", "Gemma 2 / 3 (tools described in text)", false, (template) => template.includes("<start_of_turn>")), endTokens: ["<end_of_turn>"] };
