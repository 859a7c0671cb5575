/**
 * Scripted models for the model families lmhost reads: each with its family's real chat template (read from
 * llama.cpp's collection), its special tokens typed as in the real GGUF (control or user-defined; where the
 * source does not say, as the family's tokenizer config marks them special or not), and scripts of what the
 * family's models write for a tool call, a plain answer, and reasoning followed by an answer.
 */
import type { SpecialTokenType } from "./scriptedModel.js";

export type FamilyCase = "call" | "parallel" | "answer" | "reasoning" | "forced" | "thought";

export type FamilyModelSpec = {
    /** The family lmhost should recognize. */
    family: string;
    /** A template file of llama.cpp's `models/templates/`. */
    template: string;
    specialTokens: Record<string, SpecialTokenType>;
    bos: string | null;
    eos: string;
    /** Each script ends with the token that ends the turn. */
    scripts: Partial<Record<FamilyCase, string>>;
    /** Template variables the cases need (a template that reasons only when asked). */
    variables?: Record<string, unknown>;
    /** Header keys naming special tokens (`tokenizer.ggml.eot_token_id`), as the real GGUF sets them. */
    extraTokenIds?: Record<string, string>;
};

export const answerText = "It is sunny in Paris.";
export const reasoningText = "The user wants the weather.";

const control = (...tokens: string[]) => Object.fromEntries(tokens.map((token) => [token, "control" as const]));
const user = (...tokens: string[]) => Object.fromEntries(tokens.map((token) => [token, "user" as const]));

const chatml = control("<|endoftext|>", "<|im_start|>", "<|im_end|>");
const hermesCall = (city: string) => `<tool_call>\n{"name": "get_weather", "arguments": {"city": "${city}"}}\n</tool_call>`;
const llama3 = control("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>");
const mistralTekken = control("<s>", "</s>", "[INST]", "[/INST]", "[TOOL_CALLS]", "[ARGS]", "[CALL_ID]", "[THINK]", "[/THINK]",
    "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]");
const deepSeek = {
    ...control("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
    ...user("<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁sep｜>")
};
const r1Call = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
const harmony = control("<|startoftext|>", "<|endoftext|>", "<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|return|>", "<|call|>");

export const familyModels: Record<string, FamilyModelSpec> = {
    "qwen2.5": {
        family: "hermes", template: "Qwen-Qwen2.5-7B-Instruct.jinja", specialTokens: { ...chatml, ...user("<tool_call>", "</tool_call>") }, bos: null, eos: "<|im_end|>",
        scripts: {
            call: `${hermesCall("Paris")}<|im_end|>`,
            parallel: `${hermesCall("Paris")}\n${hermesCall("London")}<|im_end|>`,
            answer: `${answerText}<|im_end|>`,
            forced: `${hermesCall("Paris")}<|im_end|>`
        }
    },
    "hermes-3": {
        family: "hermes", template: "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", specialTokens: { ...chatml, ...user("<tool_call>", "</tool_call>") }, bos: null, eos: "<|im_end|>",
        scripts: { call: `${hermesCall("Paris")}<|im_end|>`, answer: `${answerText}<|im_end|>`, forced: `${hermesCall("Paris")}<|im_end|>` }
    },
    qwen3: {
        family: "qwen3", template: "Qwen-Qwen3-0.6B.jinja", specialTokens: { ...chatml, ...user("<tool_call>", "</tool_call>", "<think>", "</think>") }, bos: null, eos: "<|im_end|>",
        scripts: {
            call: `<think>\nI need the weather tool.\n</think>\n\n${hermesCall("Paris")}<|im_end|>`,
            parallel: `<think>\nTwo cities.\n</think>\n\n${hermesCall("Paris")}\n${hermesCall("London")}<|im_end|>`,
            answer: `<think>\n\n</think>\n\n${answerText}<|im_end|>`,
            reasoning: `<think>\n${reasoningText}\n</think>\n\n${answerText}<|im_end|>`,
            forced: `${hermesCall("Paris")}<|im_end|>`,
            // A call marker in the thinking is a thought, not a call: no grammar starts there.
            thought: `<think>\nI could write <tool_call> but will not.\n</think>\n\n${answerText}<|im_end|>`
        }
    },
    "qwen3-coder": {
        family: "qwen3-coder", template: "Qwen3-Coder.jinja", specialTokens: { ...chatml, ...user("<tool_call>", "</tool_call>") }, bos: null, eos: "<|im_end|>",
        scripts: {
            call: "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call><|im_end|>",
            answer: `${answerText}<|im_end|>`,
            forced: "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call><|im_end|>"
        }
    },
    "qwen3.5": {
        family: "qwen3-coder-reasoning", template: "Qwen3.5-4B.jinja", specialTokens: { ...chatml, ...user("<tool_call>", "</tool_call>", "<think>", "</think>") }, bos: null, eos: "<|im_end|>",
        scripts: {
            call: "I need the weather tool.\n</think>\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call><|im_end|>",
            answer: `No tool needed.\n</think>\n\n${answerText}<|im_end|>`,
            reasoning: `${reasoningText}\n</think>\n\n${answerText}<|im_end|>`
        }
    },
    "llama-3.1": {
        family: "llama3", template: "meta-llama-Llama-3.1-8B-Instruct.jinja", specialTokens: llama3, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
        scripts: {
            call: "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>",
            answer: `${answerText}<|eot_id|>`,
            forced: "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
        }
    },
    "llama-3.1-builtin": {
        family: "llama3", template: "meta-llama-Llama-3.1-8B-Instruct.jinja", specialTokens: llama3, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
        scripts: { call: "<|python_tag|>brave_search.call(query=\"weather in Paris\")<|eom_id|>" },
        variables: { builtin_tools: ["brave_search", "wolfram_alpha"] }
    },
    "llama-3.2": {
        family: "llama3", template: "meta-llama-Llama-3.2-3B-Instruct.jinja", specialTokens: llama3, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
        scripts: {
            call: "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>", answer: `${answerText}<|eot_id|>`,
            forced: "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
        }
    },
    "llama-3.3": {
        family: "llama3", template: "meta-llama-Llama-3.3-70B-Instruct.jinja", specialTokens: llama3, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
        scripts: { call: "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>", answer: `${answerText}<|eot_id|>` }
    },
    "mistral-nemo": {
        family: "mistral-nemo", template: "mistralai-Mistral-Nemo-Instruct-2407.jinja",
        specialTokens: control("<s>", "</s>", "[INST]", "[/INST]", "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]"), bos: "<s>", eos: "</s>",
        scripts: {
            call: "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"a1b2c3d4e\"}]</s>",
            parallel: "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"a1b2c3d4e\"}, {\"name\": \"get_weather\", \"arguments\": {\"city\": \"London\"}, \"id\": \"f5g6h7i8j\"}]</s>",
            answer: `${answerText}</s>`,
            forced: "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"a1b2c3d4e\"}]</s>"
        }
    },
    "mistral-small-3.2": {
        family: "mistral-tekken", template: "Mistral-Small-3.2-24B-Instruct-2506.jinja", specialTokens: mistralTekken, bos: "<s>", eos: "</s>",
        scripts: {
            call: "[TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{\"city\": \"Paris\"}</s>",
            parallel: "[TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{\"city\": \"Paris\"}[TOOL_CALLS]get_weather[CALL_ID]f5g6h7i8j[ARGS]{\"city\": \"London\"}</s>",
            answer: `${answerText}</s>`,
            forced: "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}</s>"
        }
    },
    devstral: {
        family: "mistral-tekken", template: "unsloth-mistral-Devstral-Small-2507.jinja", specialTokens: mistralTekken, bos: "<s>", eos: "</s>",
        scripts: { call: "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}</s>", answer: `${answerText}</s>`, forced: "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}</s>" }
    },
    "ministral-3-reasoning": {
        family: "mistral-tekken", template: "mistralai-Ministral-3-14B-Reasoning-2512.jinja", specialTokens: mistralTekken, bos: "<s>", eos: "</s>",
        scripts: {
            call: `[THINK]I need the weather tool.[/THINK][TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}</s>`,
            answer: `[THINK]No tool needed.[/THINK]${answerText}</s>`,
            reasoning: `[THINK]${reasoningText}[/THINK]${answerText}</s>`,
            forced: "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}</s>"
        }
    },
    "gpt-oss": {
        family: "gpt-oss", template: "openai-gpt-oss-120b.jinja", specialTokens: harmony, bos: "<|startoftext|>", eos: "<|return|>",
        // llama.cpp takes the first end-of-turn name it meets in the vocabulary's hash map; for gpt-oss's that is
        // <|end|>, which node-llama-cpp then treats as the end of generation. Set here so the model behaves so.
        extraTokenIds: { "tokenizer.ggml.eot_token_id": "<|end|>" },
        scripts: {
            call: "<|channel|>analysis<|message|>I need the weather tool.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\"}<|call|>",
            answer: `<|channel|>final<|message|>${answerText}<|return|>`,
            reasoning: `<|channel|>analysis<|message|>${reasoningText}<|end|><|start|>assistant<|channel|>final<|message|>${answerText}<|return|>`,
            forced: "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\"}<|call|>"
        }
    },
    "deepseek-r1-distill-qwen": {
        family: "deepseek-r1", template: "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", specialTokens: deepSeek, bos: "<｜begin▁of▁sentence｜>", eos: "<｜end▁of▁sentence｜>",
        scripts: {
            call: `I need the weather tool.\n</think>\n\n${r1Call}<｜end▁of▁sentence｜>`,
            answer: `No tool needed.\n</think>\n\n${answerText}<｜end▁of▁sentence｜>`,
            reasoning: `${reasoningText}\n</think>\n\n${answerText}<｜end▁of▁sentence｜>`,
            forced: `${r1Call}<｜end▁of▁sentence｜>`
        }
    },
    "deepseek-r1-distill-llama": {
        family: "deepseek-r1", template: "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", specialTokens: deepSeek, bos: "<｜begin▁of▁sentence｜>", eos: "<｜end▁of▁sentence｜>",
        scripts: { reasoning: `${reasoningText}\n</think>\n\n${answerText}<｜end▁of▁sentence｜>` }
    },
    "deepseek-v3.1": {
        family: "deepseek-v3.1", template: "deepseek-ai-DeepSeek-V3.1.jinja", specialTokens: deepSeek, bos: "<｜begin▁of▁sentence｜>", eos: "<｜end▁of▁sentence｜>",
        scripts: {
            call: "I need the weather tool.</think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Paris\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>",
            answer: `No tool needed.</think>${answerText}<｜end▁of▁sentence｜>`,
            reasoning: `${reasoningText}</think>${answerText}<｜end▁of▁sentence｜>`,
            forced: "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Paris\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>"
        },
        variables: { thinking: true }
    },
    "functionary-v3.1": {
        family: "functionary-v3.1", template: "meetkai-functionary-medium-v3.1.jinja", specialTokens: llama3, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
        scripts: { call: "<function=get_weather>{\"city\": \"Paris\"}</function><|eom_id|>", answer: `${answerText}<|eot_id|>`, forced: "<function=get_weather>{\"city\": \"Paris\"}</function><|eom_id|>" }
    },
    "functionary-v3.2": {
        family: "functionary-v3.2", template: "meetkai-functionary-medium-v3.2.jinja", specialTokens: llama3, bos: "<|begin_of_text|>", eos: "<|eot_id|>",
        scripts: { call: "get_weather\n{\"city\": \"Paris\"}<|eot_id|>", answer: `all\n${answerText}<|eot_id|>`, forced: "get_weather\n{\"city\": \"Paris\"}<|eot_id|>" }
    },
    "command-r7b": {
        family: "command-r7b", template: "CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja",
        specialTokens: control("<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>", "<|START_OF_TURN_TOKEN|>", "<|SYSTEM_TOKEN|>", "<|USER_TOKEN|>", "<|CHATBOT_TOKEN|>",
            "<|START_THINKING|>", "<|END_THINKING|>", "<|START_RESPONSE|>", "<|END_RESPONSE|>", "<|START_ACTION|>", "<|END_ACTION|>"), bos: "<BOS_TOKEN>", eos: "<|END_OF_TURN_TOKEN|>",
        scripts: {
            call: "<|START_THINKING|>I need the weather tool.<|END_THINKING|><|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}\n]<|END_ACTION|><|END_OF_TURN_TOKEN|>",
            answer: `<|START_RESPONSE|>${answerText}<|END_RESPONSE|><|END_OF_TURN_TOKEN|>`,
            reasoning: `<|START_THINKING|>${reasoningText}<|END_THINKING|><|START_RESPONSE|>${answerText}<|END_RESPONSE|><|END_OF_TURN_TOKEN|>`,
            forced: "<|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}\n]<|END_ACTION|><|END_OF_TURN_TOKEN|>"
        }
    },
    "granite-3.3": {
        family: "granite-3.3", template: "ibm-granite-granite-3.3-2B-Instruct.jinja",
        specialTokens: control("<|end_of_text|>", "<|start_of_role|>", "<|end_of_role|>", "<|tool_call|>"), bos: null, eos: "<|end_of_text|>",
        scripts: {
            call: "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]<|end_of_text|>",
            answer: `${answerText}<|end_of_text|>`,
            forced: "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]<|end_of_text|>",
            reasoning: `<think>${reasoningText}</think><response>${answerText}</response><|end_of_text|>`
        }
    },
    "granite-4.0": {
        family: "hermes", template: "ibm-granite-granite-4.0.jinja",
        specialTokens: { ...control("<|end_of_text|>", "<|start_of_role|>", "<|end_of_role|>"), ...user("<tool_call>", "</tool_call>") }, bos: null, eos: "<|end_of_text|>",
        scripts: { call: `${hermesCall("Paris")}<|end_of_text|>`, answer: `${answerText}<|end_of_text|>`, forced: `${hermesCall("Paris")}<|end_of_text|>` }
    },
    "glm-4.6": {
        family: "glm-4.5", template: "GLM-4.6.jinja",
        specialTokens: control("<|endoftext|>", "[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>", "<think>", "</think>",
            "<tool_call>", "</tool_call>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>"), bos: null, eos: "<|endoftext|>",
        // llama.cpp's GLM 4.5 conversion marks <|user|> as end of turn and <|observation|> as end of message.
        extraTokenIds: { "tokenizer.ggml.eot_token_id": "<|user|>", "tokenizer.ggml.eom_token_id": "<|observation|>" },
        scripts: {
            call: "\n<think>I need the weather tool.</think>\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call><|observation|>",
            forced: "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call><|observation|>",
            answer: `\n<think></think>\n${answerText}<|user|>`,
            reasoning: `\n<think>${reasoningText}</think>\n${answerText}<|user|>`
        }
    },
    "kimi-k2": {
        family: "kimi-k2", template: "moonshotai-Kimi-K2.jinja",
        specialTokens: control("[BOS]", "[EOS]", "<|im_end|>", "<|im_user|>", "<|im_assistant|>", "<|im_system|>", "<|im_middle|>", "<|tool_calls_section_begin|>",
            "<|tool_calls_section_end|>", "<|tool_call_begin|>", "<|tool_call_argument_begin|>", "<|tool_call_end|>"), bos: "[BOS]", eos: "<|im_end|>",
        scripts: {
            call: "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Paris\"}<|tool_call_end|><|tool_calls_section_end|><|im_end|>",
            answer: `${answerText}<|im_end|>`,
            forced: "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Paris\"}<|tool_call_end|><|tool_calls_section_end|><|im_end|>"
        }
    },
    "kimi-k2-thinking": {
        family: "kimi-k2", template: "Kimi-K2-Thinking.jinja",
        specialTokens: { ...control("[BOS]", "[EOS]", "<|im_end|>", "<|im_user|>", "<|im_assistant|>", "<|im_system|>", "<|im_middle|>", "<|tool_calls_section_begin|>",
            "<|tool_calls_section_end|>", "<|tool_call_begin|>", "<|tool_call_argument_begin|>", "<|tool_call_end|>"), ...user("<think>", "</think>") }, bos: "[BOS]", eos: "<|im_end|>",
        scripts: {
            call: "<think>I need the weather tool.</think><|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Paris\"}<|tool_call_end|><|tool_calls_section_end|><|im_end|>",
            reasoning: `<think>${reasoningText}</think>${answerText}<|im_end|>`
        }
    },
    lfm2: {
        family: "lfm2", template: "LFM2.5-8B-A1B.jinja",
        specialTokens: { ...chatml, ...control("<|startoftext|>", "<|tool_call_start|>", "<|tool_call_end|>", "<|tool_list_start|>", "<|tool_list_end|>"), ...user("<think>", "</think>") }, bos: "<|startoftext|>", eos: "<|im_end|>",
        scripts: {
            call: "<|tool_call_start|>[get_weather(city=\"Paris\")]<|tool_call_end|><|im_end|>",
            forced: "<|tool_call_start|>[get_weather(city=\"Paris\")]<|tool_call_end|><|im_end|>",
            answer: `${answerText}<|im_end|>`,
            reasoning: `<think>${reasoningText}</think>${answerText}<|im_end|>`
        }
    },
    "seed-oss": {
        family: "seed-oss", template: "ByteDance-Seed-OSS.jinja",
        specialTokens: control("<seed:bos>", "<seed:eos>", "<seed:think>", "</seed:think>", "<seed:tool_call>", "</seed:tool_call>"), bos: "<seed:bos>", eos: "<seed:eos>",
        scripts: {
            call: "<seed:think>I need the weather tool.</seed:think>\n<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n</function>\n</seed:tool_call><seed:eos>",
            forced: "<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n</function>\n</seed:tool_call><seed:eos>",
            answer: `<seed:think>No tool needed.</seed:think>\n${answerText}<seed:eos>`,
            reasoning: `<seed:think>${reasoningText}</seed:think>\n${answerText}<seed:eos>`
        }
    },
    "minimax-m2": {
        family: "minimax-m2", template: "MiniMax-M2.jinja",
        specialTokens: { ...control("]~!b[", "]~b]", "[e~["), ...user("<think>", "</think>", "<minimax:tool_call>", "</minimax:tool_call>") }, bos: "]~!b[", eos: "[e~[",
        scripts: {
            call: "I need the weather tool.\n</think>\n\n<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Paris</parameter>\n</invoke>\n</minimax:tool_call>[e~[",
            forced: "<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Paris</parameter>\n</invoke>\n</minimax:tool_call>[e~[",
            answer: `No tool needed.\n</think>\n\n${answerText}[e~[`,
            reasoning: `${reasoningText}\n</think>\n\n${answerText}[e~[`
        }
    },
    apertus: {
        family: "apertus", template: "Apertus-8B-Instruct.jinja",
        specialTokens: control("<s>", "</s>", "<|system_start|>", "<|system_end|>", "<|developer_start|>", "<|developer_end|>", "<|user_start|>", "<|user_end|>",
            "<|assistant_start|>", "<|assistant_end|>", "<|inner_prefix|>", "<|inner_suffix|>", "<|tools_prefix|>", "<|tools_suffix|>"), bos: "<s>", eos: "<|assistant_end|>",
        scripts: {
            call: "<|tools_prefix|>[{\"get_weather\": {\"city\": \"Paris\"}}]<|tools_suffix|><|assistant_end|>",
            reasoning: `<|inner_prefix|>${reasoningText}<|inner_suffix|>${answerText}<|assistant_end|>`,
            answer: `${answerText}<|assistant_end|>`,
            forced: "<|tools_prefix|>[{\"get_weather\": {\"city\": \"Paris\"}}]<|tools_suffix|><|assistant_end|>"
        }
    },
    "gemma-2": {
        family: "gemma", template: "google-gemma-2-2b-it.jinja", specialTokens: control("<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"), bos: "<bos>", eos: "<eos>",
        scripts: { call: `${hermesCall("Paris")}<end_of_turn>`, answer: `${answerText}<end_of_turn>`, forced: `${hermesCall("Paris")}<end_of_turn>` }
    }
};
