/**
 * Renders a conversation into the prompt text a model expects, with the model's own Jinja chat template from
 * its GGUF header (the way llama.cpp's server does with --jinja). Models without a template get ChatML.
 */
import { Template } from "@huggingface/jinja";
import { InvalidRequest } from "../errors.js";

export type ChatTurn = {
    role: "system" | "user" | "assistant" | "tool";
    content: string;
};

export type TemplateSource = {
    chatTemplate: string | null;
    bosToken: string | null;
    eosToken: string | null;
};

const chatmlFallback = "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const compiled = new Map<string, Template | Error>();

function compile(source: string): Template | Error {
    let template = compiled.get(source);
    if (template === undefined) {
        try {
            template = new Template(source);
        } catch (error) {
            template = error instanceof Error ? error : new Error(String(error));
        }
        compiled.set(source, template);
    }
    return template;
}

export function renderChatPrompt(model: TemplateSource, turns: ChatTurn[]): string {
    const template = compile(model.chatTemplate ?? chatmlFallback);
    if (template instanceof Error) {
        throw new InvalidRequest(`The model's chat template cannot be parsed: ${template.message}`, "messages", "invalid_chat_template");
    }
    try {
        return template.render({
            messages: turns,
            add_generation_prompt: true,
            bos_token: model.bosToken ?? "",
            eos_token: model.eosToken ?? ""
        });
    } catch (error) {
        // Templates raise errors of their own ("Conversation roles must alternate user/assistant/..."): the
        // conversation is what is wrong, so the client hears the template's words.
        throw new InvalidRequest(`The model's chat template rejected the conversation: ${error instanceof Error ? error.message : String(error)}`,
            "messages", "invalid_conversation");
    }
}
