/** Activation functions with the exact expressions of tfjs-backend-cpu (so exact mode matches it). */

export type ActivationName = 'linear' | 'relu' | 'relu6' | 'prelu' | 'leakyrelu' | 'elu' | 'sigmoid' | 'tanh';

export const relu = (x: number) => Math.max(0, x);
export const relu6 = (x: number) => Math.min(Math.max(0, x), 6);
export const elu = (x: number) => (x >= 0 ? x : Math.exp(x) - 1);
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
export const tanh = (x: number) => Math.tanh(x);
export const leakyRelu = (x: number, alpha: number) => (x < 0 ? alpha * x : x);
export const prelu = (x: number, alpha: number) => (x < 0 ? alpha * x : x);

/**
 * Applies a fused activation in place to values[from, from + n); `alphaAt(i)` gives the prelu
 * weight or leaky alpha for flat element i.
 */
export function activationFn(name: string, leakyAlpha: number): ((x: number, alpha: number) => number) {
  switch (name) {
    case 'linear': return (x) => x;
    case 'relu': return relu;
    case 'relu6': return relu6;
    case 'elu': return elu;
    case 'sigmoid': return sigmoid;
    case 'tanh': return tanh;
    case 'leakyrelu': return (x) => leakyRelu(x, leakyAlpha);
    case 'prelu': return prelu;
    default: throw new Error(`tfjs-backend-delta: unsupported fused activation '${name}'`);
  }
}
