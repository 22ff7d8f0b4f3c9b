// solc-js ships no types; this declares the standard-JSON interface verilay uses.
declare module 'solc' {
  interface ImportResult {
    contents?: string;
    error?: string;
  }
  const solc: {
    compile(input: string, options?: { import(path: string): ImportResult }): string;
    version(): string;
  };
  export default solc;
}
