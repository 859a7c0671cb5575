/**
 * A grammar that starts constraining only once the model writes its family's call marker (llama.cpp's
 * `grammar_lazy`): until then generation is free; from the token that starts the marker on, the tokens already
 * written are fed to the grammar, and every later token must fit it, so a call that starts always parses.
 *
 * node-llama-cpp resolves a function given as `grammarEvaluationState` before every sampling, which lets the state
 * appear mid-generation; feeding it the marker's tokens uses the binding's grammar-accept call, which
 * node-llama-cpp keeps internal (`LlamaSampler._acceptTokenOnGrammarEvaluationState`). A public
 * `LlamaGrammarEvaluationState.acceptToken` would be the upstream fix.
 */
import { LlamaGrammarEvaluationState, type LlamaGrammar, type LlamaModel, type Token } from "node-llama-cpp";
import type { LazyGrammarSpec } from "../protocol.js";

type GrammarBindings = {
    AddonSampler: {
        canBeNextTokenForGrammarEvaluationState(state: unknown, token: Token): boolean;
        acceptGrammarEvaluationStateToken(state: unknown, token: Token): void;
    };
};

/** Whether `at` falls inside a reasoning block: a marker the model writes while it reasons is no call. */
export function insideReasoning(text: string, at: number, reasoning: LazyGrammarSpec["reasoning"]): boolean {
    if (reasoning === null) return false;
    const before = text.slice(0, at);
    const opened = before.lastIndexOf(reasoning.open);
    const closed = before.lastIndexOf(reasoning.close);
    return closed === -1 ? opened !== -1 || reasoning.startsInside : opened > closed;
}

export class LazyGrammar {
    private state: LlamaGrammarEvaluationState | undefined;
    private abandoned = false;
    private text = "";
    /** Where each generated token's text starts in `text`. */
    private readonly tokens: Array<{ token: Token; start: number }> = [];

    constructor(private readonly model: LlamaModel, private readonly grammar: LlamaGrammar, private readonly trigger: string,
        private readonly reasoning: LazyGrammarSpec["reasoning"]) {}

    /** For `grammarEvaluationState`: none until triggered. */
    readonly current = (): LlamaGrammarEvaluationState | undefined => this.state;

    get triggered(): boolean {
        return this.state !== undefined;
    }

    /** Records a generated token and its text; starts the grammar when the marker is complete. */
    push(token: Token, text: string): void {
        if (this.state !== undefined || this.abandoned) return;
        this.tokens.push({ token, start: this.text.length });
        this.text += text;
        const at = this.text.indexOf(this.trigger, Math.max(0, this.text.length - text.length - this.trigger.length));
        if (at === -1 || insideReasoning(this.text, at, this.reasoning)) return;
        const first = this.tokens.findIndex((entry) => entry.start === at);
        // The marker must start where a token does: the grammar reads tokens, not characters.
        if (first === -1) {
            this.abandoned = true;
            return;
        }
        try {
            const state = new LlamaGrammarEvaluationState({ model: this.model, grammar: this.grammar });
            const bindings = (this.model as unknown as { _llama: { _bindings: GrammarBindings } })._llama._bindings.AddonSampler;
            const internal = (state as unknown as { _state: unknown })._state;
            for (const { token: written } of this.tokens.slice(first)) {
                // What the model already wrote after the marker does not fit the call syntax: leave it unconstrained.
                if (!bindings.canBeNextTokenForGrammarEvaluationState(internal, written)) throw new Error("the call's first tokens leave its syntax");
                bindings.acceptGrammarEvaluationStateToken(internal, written);
            }
            this.state = state;
        } catch {
            // An unconstrained call is what generation would be without the lazy grammar: it goes on, never fails.
            this.abandoned = true;
        }
    }
}
