import {
  encodeGguf,
  GgufError,
  importGguf,
  llamaForward,
  readFloatLlama,
  readGguf,
  type GgufImportResult,
  type GgufWriterTensor,
  type GgufWriterValue,
} from '@verilay/gguf';
import { run } from '@verilay/inference';

// A tiny LLaMA in GGUF, float32, made here: dim 16, 4 heads of 4 over 2 key/value heads (GQA),
// ffn 32, 2 blocks, tied embeddings, a byte-level vocabulary of the 256 bytes (GPT-2 alphabet).
const DIM = 16;
const FFN = 32;
const KV = 2;
const HD = 4;

function byteTokens(): string[] {
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out.push(String.fromCodePoint(printable ? b : 256 + n++));
  }
  return out;
}

function tinyGguf(seed: number, patch: (m: [string, GgufWriterValue][]) => void = () => {}): Uint8Array {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const f32 = (n: number, scale: number, offset = 0) =>
    new Uint8Array(Float32Array.from({ length: n }, () => offset + scale * rand()).buffer);
  const t = (name: string, dims: number[], data: Uint8Array): GgufWriterTensor => ({
    name,
    dims,
    type: 'F32',
    data,
  });
  const tensors: GgufWriterTensor[] = [t('token_embd.weight', [DIM, 256], f32(256 * DIM, 0.5))];
  for (let b = 0; b < 2; b++) {
    const p = `blk.${b}.`;
    tensors.push(
      t(p + 'attn_norm.weight', [DIM], f32(DIM, 0.3, 1)),
      t(p + 'attn_q.weight', [DIM, DIM], f32(DIM * DIM, 0.4)),
      t(p + 'attn_k.weight', [DIM, KV * HD], f32(DIM * KV * HD, 0.4)),
      t(p + 'attn_v.weight', [DIM, KV * HD], f32(DIM * KV * HD, 0.4)),
      t(p + 'attn_output.weight', [DIM, DIM], f32(DIM * DIM, 0.3)),
      t(p + 'ffn_norm.weight', [DIM], f32(DIM, 0.3, 1)),
      t(p + 'ffn_gate.weight', [DIM, FFN], f32(DIM * FFN, 0.4)),
      t(p + 'ffn_up.weight', [DIM, FFN], f32(DIM * FFN, 0.4)),
      t(p + 'ffn_down.weight', [FFN, DIM], f32(DIM * FFN, 0.3)),
    );
  }
  tensors.push(t('output_norm.weight', [DIM], f32(DIM, 0.3, 1)));
  const u32 = (value: number): GgufWriterValue => ({ type: 'uint32', value });
  const metadata: [string, GgufWriterValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'tiny' }],
    ['llama.block_count', u32(2)],
    ['llama.embedding_length', u32(DIM)],
    ['llama.feed_forward_length', u32(FFN)],
    ['llama.attention.head_count', u32(DIM / HD)],
    ['llama.attention.head_count_kv', u32(KV)],
    ['llama.rope.freq_base', { type: 'float32', value: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'float32', value: 1e-5 }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.tokens', { type: 'array', elementType: 'string', value: byteTokens() }],
    ['tokenizer.ggml.merges', { type: 'array', elementType: 'string', value: [] }],
  ];
  patch(metadata);
  return encodeGguf(metadata, tensors);
}

const TEXT =
  'In the beginning God created the heaven and the earth. And the earth was without form, and void.';

/** Relative RMS error of the model's dequantized logits against the float model's. */
function logitError(sut: GgufImportResult, input: number[], want: Float64Array): number {
  const { trace } = run(sut.model, input);
  const q = trace[trace.length - 2].data;
  const { scale, zeroPoint } = sut.quantized.logits;
  let [err, norm] = [0, 0];
  want.forEach((v, i) => {
    err += ((q[i] - zeroPoint) * scale - v) ** 2;
    norm += v * v;
  });
  return Math.sqrt(err / norm);
}

describe('importGguf', () => {
  it('imports a GQA LLaMA as a v2 language model whose integer logits follow the float model', () => {
    const bytes = tinyGguf(7);
    const sut = importGguf(bytes, { context: 16, calibrationText: TEXT, calibrationWindows: 4 });
    expect(sut.arch).toMatchObject({ dim: DIM, heads: 4, kvHeads: KV, vocab: 256, tiedEmbeddings: true });
    expect(sut.model.format).toBe('verilay.model.v2');
    expect(sut.model.input).toEqual({ shape: [16], dtype: 'int32', range: [0, 255] });
    expect(sut.calibration).toEqual({ windows: 4, tokens: 64 });
    // GQA: the k projection repeats each key/value head's rows for its two query heads.
    const k = sut.model.layers.filter((l) => l.op === 'dense')[1];
    expect(k.op === 'dense' && Array.from(k.weights.subarray(0, DIM * HD))).toEqual(
      k.op === 'dense' && Array.from(k.weights.subarray(DIM * HD, 2 * DIM * HD)),
    );
    // Held-out text: the dequantized integer logits against the float model's.
    const float = readFloatLlama(readGguf(bytes));
    const input = [...Buffer.from('Let there be light: and there')].slice(0, 16);
    const want = llamaForward(float, input);
    expect(logitError(sut, input, want)).toBeLessThan(0.15);
  });

  it('runs an MLP twice, at the sink scales and the others, and still follows the float model', () => {
    const bytes = tinyGguf(7);
    const sut = importGguf(bytes, {
      context: 16,
      calibrationText: TEXT,
      calibrationWindows: 4,
      sinkSplit: 0,
    });
    const once = importGguf(bytes, { context: 16, calibrationText: TEXT, calibrationWindows: 4 });
    expect(sut.quantized.dualBranches).toEqual(expect.arrayContaining(['b0.down', 'b1.down']));
    expect(sut.model.layers.length).toBeGreaterThan(once.model.layers.length);
    const input = [...Buffer.from('Let there be light: and there')].slice(0, 16);
    const want = llamaForward(readFloatLlama(readGguf(bytes)), input);
    expect(logitError(sut, input, want)).toBeLessThan(0.15);
  });

  it('refuses what it cannot import with a GgufError', () => {
    const patched = (key: string, value: GgufWriterValue) =>
      tinyGguf(1, (m) => {
        const i = m.findIndex(([k]) => k === key);
        m[i] = [key, value];
      });
    const text = { calibrationText: TEXT };
    expect(() =>
      importGguf(patched('general.architecture', { type: 'string', value: 'gpt2' }), text),
    ).toThrow(/not llama/);
    expect(() =>
      importGguf(patched('llama.attention.head_count_kv', { type: 'uint32', value: 3 }), text),
    ).toThrow(GgufError);
    expect(() =>
      importGguf(patched('tokenizer.ggml.model', { type: 'string', value: 'llama' }), text),
    ).toThrow(/not gpt2/);
    expect(() => importGguf(tinyGguf(1), { calibrationText: 'short', context: 16 })).toThrow(
      /fewer than one window/,
    );
    expect(() => importGguf(tinyGguf(1), { ...text, context: 1 })).toThrow(/context/);
  });
});
