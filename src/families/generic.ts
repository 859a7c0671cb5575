/**
 * Templates no family claims: tools are described in the system message and calls read in the `<tool_call>`
 * convention (what lmhost always did); `<think>` reasoning is split off when the template writes it.
 */
import { hermesLike } from "./hermes.js";

export const genericFamily = hermesLike("generic", "Any other template (tools described in text, <tool_call> read)", false, () => true);
export const genericReasoningFamily = hermesLike("generic-reasoning", "Any other template with <think> reasoning", true, (template) => template.includes("<think>"));
