/** A GGUF file a model source found, before its header is read. */
export type FoundModelFile = {
    /** Absolute path of the file to read and load. */
    path: string;
    /** Where the file sits within its source, with forward slashes: the last resort for a unique id. */
    relativePath: string;
    publisher: string;
    repo: string;
    /** The name the id and the split and projector rules read (Ollama blobs get one made up). */
    fileName: string;
    size: number;
    mtimeMs: number;
    /** Which source found it: "models folder", "Hugging Face cache" or "Ollama". */
    source: string;
};
