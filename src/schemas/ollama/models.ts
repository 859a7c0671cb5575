/**
 * Ollama's model management API (`/`, `/api/version`, `/api/tags`, `/api/show`, `/api/ps`, `/api/delete`,
 * `/api/copy`, `/api/pull`), as Ollama's `api/types.go` defines it: field names, and which fields Ollama leaves
 * out when empty (`omitempty`), are Ollama's.
 */
import { Type, type Static } from "typebox";

/** Every error on Ollama's routes: `{"error": "..."}`. */
export const OllamaError = Type.Object({ error: Type.String() }, { description: "Ollama's error shape" });
export type OllamaErrorBody = Static<typeof OllamaError>;

/** The Ollama version lmhost reports: the level of Ollama's API it speaks (clients compare it to enable features). */
export const ollamaApiVersion = "0.12.0";

export const OllamaVersion = Type.Object({
    version: Type.String({ description: `The Ollama API level lmhost speaks (${ollamaApiVersion}); lmhost's own version is in /openapi.json` })
});

const name = (description?: string) => Type.String({ minLength: 1, maxLength: 1024, ...(description ? { description } : {}) });

export const OllamaModelDetails = Type.Object({
    parent_model: Type.String({ description: "Always empty: lmhost's models have no parent" }),
    format: Type.Literal("gguf"),
    family: Type.String({ description: "The architecture (`general.architecture`)" }),
    families: Type.Array(Type.String()),
    parameter_size: Type.String({ description: "The header's `general.size_label` (`8B`); empty when it has none" }),
    quantization_level: Type.String({ description: "`Q4_K_M`, `F16`, ..." })
});
export type OllamaModelDetails = Static<typeof OllamaModelDetails>;

export const OllamaListedModel = Type.Object({
    name: Type.String({ description: "The Ollama name: Ollama's own for models from its store, else `<catalog id>:latest`" }),
    model: Type.String({ description: "The same as name" }),
    modified_at: Type.String({ format: "date-time" }),
    size: Type.Integer({ description: "Bytes on disk (all parts of a split model)" }),
    digest: Type.String({
        pattern: "^[0-9a-f]{64}$",
        description: "SHA-256 hex: the blob's for models from Ollama's store; for other files one of path, size and modification " +
            "time (it changes when the file does, but it is not a hash of the file's content)"
    }),
    details: OllamaModelDetails
});
export type OllamaListedModel = Static<typeof OllamaListedModel>;

export const OllamaModelList = Type.Object({ models: Type.Array(OllamaListedModel) });

export const OllamaRunningModel = Type.Object({
    name: Type.String(),
    model: Type.String(),
    size: Type.Integer({ description: "Bytes of memory the loaded instance takes (RAM and VRAM), as estimated at load" }),
    digest: Type.String({ pattern: "^[0-9a-f]{64}$" }),
    details: OllamaModelDetails,
    expires_at: Type.String({ format: "date-time", description: "When the instance unloads if it stays idle; far in the future (year 2318, as Ollama writes it) when it never does" }),
    size_vram: Type.Integer({ description: "Bytes of the instance's memory in VRAM" }),
    context_length: Type.Integer({ description: "The instance's context length per sequence" })
});
export type OllamaRunningModel = Static<typeof OllamaRunningModel>;

export const OllamaRunningList = Type.Object({ models: Type.Array(OllamaRunningModel) });

/** Ollama's deprecated `name` is accepted wherever `model` is. */
const modelOrName = {
    model: Type.Optional(name("The model's Ollama name (`name:tag`, a missing tag meaning latest) or its catalog id")),
    name: Type.Optional(name("Deprecated: model"))
};

export const OllamaShowRequest = Type.Object({
    ...modelOrName,
    verbose: Type.Optional(Type.Boolean({ description: "Accepted; model_info is the same either way" })),
    system: Type.Optional(Type.String()),
    template: Type.Optional(Type.String()),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
});

export const OllamaShowResponse = Type.Object({
    modelfile: Type.String({ description: "A Modelfile whose FROM is the model's file" }),
    parameters: Type.String({ description: "Modelfile PARAMETER lines: none (lmhost's defaults apply)" }),
    template: Type.String({ description: "The model's chat template, as lmhost renders it: Jinja (from the GGUF header), not a Go template" }),
    details: OllamaModelDetails,
    model_info: Type.Record(Type.String(), Type.Unknown(), {
        description: "GGUF header keys: general.architecture, general.name, general.size_label, <arch>.context_length, <arch>.embedding_length, ..."
    }),
    capabilities: Type.Array(Type.Union([Type.Literal("completion"), Type.Literal("tools"), Type.Literal("thinking"), Type.Literal("embedding")])),
    modified_at: Type.String({ format: "date-time" })
});
export type OllamaShowResponse = Static<typeof OllamaShowResponse>;

export const OllamaDeleteRequest = Type.Object(modelOrName);

export const OllamaCopyRequest = Type.Object({
    source: name(),
    destination: Type.String({ minLength: 1, maxLength: 256, description: "A new name, `<name>` or `<name>:latest`" })
});

export const OllamaPullRequest = Type.Object({
    ...modelOrName,
    insecure: Type.Optional(Type.Boolean({ description: "Accepted; downloads from the Hub always use its address (HF_ENDPOINT)" })),
    stream: Type.Optional(Type.Boolean({ description: "Default true: NDJSON progress; false: one final object" })),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String())
});

export const OllamaProgress = Type.Object({
    status: Type.String({
        description: "`pulling manifest`, `pulling <digest>` (per file), `verifying sha256 digest`, `writing manifest`, `success`"
    }),
    digest: Type.Optional(Type.String({ description: "`sha256:<hex>` as the Hub publishes it, else the file's name" })),
    total: Type.Optional(Type.Integer({ description: "The file's size in bytes" })),
    completed: Type.Optional(Type.Integer({ description: "Bytes of the file on disk so far" }))
});
export type OllamaProgress = Static<typeof OllamaProgress>;

/** A streamed response's lines: progress objects, or a last `{"error"}` line when it fails after the stream started. */
export const OllamaProgressLine = Type.Union([OllamaProgress, OllamaError]);
