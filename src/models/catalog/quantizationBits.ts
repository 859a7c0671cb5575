/** Average bits per weight of llama.cpp's quantization types (as llama.cpp's quantize tool reports them). */
const bitsPerWeight: Record<string, number> = {
    F32: 32, F16: 16, BF16: 16, Q8_0: 8.5, Q6_K: 6.56, Q5_K_M: 5.69, Q5_K_S: 5.54, Q5_0: 5.5, Q5_1: 6, Q4_K_M: 4.89, Q4_K_S: 4.58,
    Q4_0: 4.5, Q4_1: 5, IQ4_NL: 4.5, IQ4_XS: 4.25, Q3_K_L: 4.27, Q3_K_M: 3.91, Q3_K_S: 3.5, IQ3_M: 3.66, IQ3_S: 3.44,
    IQ3_XS: 3.3, IQ3_XXS: 3.06, Q2_K: 2.96, Q2_K_S: 2.79, IQ2_M: 2.7, IQ2_S: 2.5, IQ2_XS: 2.31, IQ2_XXS: 2.06, IQ1_M: 1.75,
    IQ1_S: 1.56, TQ1_0: 1.69, TQ2_0: 2.06
};

export function bitsPerWeightOf(quantization: string): number | null {
    return bitsPerWeight[quantization.toUpperCase()] ?? null;
}
