// The float weights of a LLaMA-architecture GGUF file (general.architecture = "llama"), checked
// against its metadata, in the layout verilay's transformer ops compute with.
//
// llama.cpp's converter permutes the rows of attn_q and attn_k within each head so that its
// default RoPE (rotating adjacent pairs 2i, 2i+1) equals Hugging Face's rotate-half (pairing i with
// i + hd/2). verilay's `rope` is rotate-half, so the rows are permuted back: HF row s·hd/2 + i is
// GGUF row 2i + s. Both Q and K rows move the same way, so q·k is unchanged.
import { GgufError } from './gguf.error';
import { metaNumber, metaString } from './gguf-metadata';
import { tensorValues } from './dequantize';
import type { GgufFile } from './read-gguf';

export interface LlamaArchitecture {
  readonly dim: number;
  readonly heads: number;
  /** Key/value heads (grouped-query attention when fewer than `heads`). */
  readonly kvHeads: number;
  readonly headDim: number;
  readonly ffn: number;
  readonly vocab: number;
  readonly layers: number;
  readonly ropeBase: number;
  readonly normEps: number;
  /** The LM head is the embedding (no output.weight in the file). */
  readonly tiedEmbeddings: boolean;
}

export interface LlamaBlock {
  readonly attnNorm: Float32Array;
  /** [heads·hd][dim], rows in rotate-half order. */
  readonly wq: Float32Array;
  /** [kvHeads·hd][dim], rows in rotate-half order. */
  readonly wk: Float32Array;
  /** [kvHeads·hd][dim] */
  readonly wv: Float32Array;
  /** [dim][heads·hd] */
  readonly wo: Float32Array;
  readonly ffnNorm: Float32Array;
  /** [ffn][dim] */
  readonly wGate: Float32Array;
  readonly wUp: Float32Array;
  /** [dim][ffn] */
  readonly wDown: Float32Array;
}

export interface FloatLlama {
  readonly arch: LlamaArchitecture;
  /** [vocab][dim] */
  readonly embed: Float32Array;
  readonly blocks: readonly LlamaBlock[];
  readonly norm: Float32Array;
  /** [vocab][dim]; the embedding itself when tied. */
  readonly head: Float32Array;
}

/** GGUF (adjacent-pair) row order to rotate-half, per head of `hd` rows of `cols`. */
export function unpermuteRope(w: Float32Array, heads: number, hd: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < hd / 2; i++)
      for (let s = 0; s < 2; s++) {
        const from = (h * hd + 2 * i + s) * cols;
        out.set(w.subarray(from, from + cols), (h * hd + s * (hd / 2) + i) * cols);
      }
  return out;
}

export function llamaArchitecture(file: GgufFile): LlamaArchitecture {
  const arch = metaString(file, 'general.architecture');
  if (arch !== 'llama') throw new GgufError(`general.architecture "${arch}" is not llama`);
  const dim = metaNumber(file, 'llama.embedding_length');
  const heads = metaNumber(file, 'llama.attention.head_count');
  const kvHeads = metaNumber(file, 'llama.attention.head_count_kv', heads);
  const headDim = dim / heads;
  const ropeDims = metaNumber(file, 'llama.rope.dimension_count', headDim);
  const embed = file.tensors.get('token_embd.weight');
  if (!embed || embed.shape.length !== 2 || embed.shape[1] !== dim)
    throw new GgufError(`token_embd.weight is missing or not [vocab][${dim}]`);
  const a: LlamaArchitecture = {
    dim,
    heads,
    kvHeads,
    headDim,
    ffn: metaNumber(file, 'llama.feed_forward_length'),
    vocab: embed.shape[0],
    layers: metaNumber(file, 'llama.block_count'),
    ropeBase: metaNumber(file, 'llama.rope.freq_base', 10000),
    normEps: metaNumber(file, 'llama.attention.layer_norm_rms_epsilon'),
    tiedEmbeddings: !file.tensors.has('output.weight'),
  };
  const whole = (v: number) => Number.isInteger(v) && v >= 1 && v <= 2 ** 20;
  if (![a.dim, a.heads, a.kvHeads, a.ffn, a.layers].every(whole) || !Number.isInteger(headDim) || headDim % 2)
    throw new GgufError(`llama shape (dim ${dim}, heads ${heads}, kv ${kvHeads}, ffn ${a.ffn}) is not whole`);
  if (heads % kvHeads) throw new GgufError(`${heads} heads are not groups of ${kvHeads} key/value heads`);
  if (ropeDims !== headDim)
    throw new GgufError(`partial RoPE (${ropeDims} of ${headDim} dims) is not supported`);
  if (file.metadata.has('llama.rope.scaling.type') && metaString(file, 'llama.rope.scaling.type') !== 'none')
    throw new GgufError('RoPE scaling is not supported');
  return a;
}

/** Every weight of the model, dequantized to float32. */
export function readFloatLlama(file: GgufFile): FloatLlama {
  const arch = llamaArchitecture(file);
  const { dim: d, heads, kvHeads, headDim: hd, ffn: f, vocab: v } = arch;
  const get = (name: string, shape: number[]): Float32Array => {
    const t = file.tensors.get(name);
    if (!t || t.shape.join() !== shape.join())
      throw new GgufError(`${name} is missing or not [${shape}] (found ${t ? `[${t.shape}]` : 'none'})`);
    return tensorValues(file, name);
  };
  const blocks = Array.from({ length: arch.layers }, (_, i) => {
    const p = `blk.${i}.`;
    return {
      attnNorm: get(p + 'attn_norm.weight', [d]),
      wq: unpermuteRope(get(p + 'attn_q.weight', [heads * hd, d]), heads, hd, d),
      wk: unpermuteRope(get(p + 'attn_k.weight', [kvHeads * hd, d]), kvHeads, hd, d),
      wv: get(p + 'attn_v.weight', [kvHeads * hd, d]),
      wo: get(p + 'attn_output.weight', [d, heads * hd]),
      ffnNorm: get(p + 'ffn_norm.weight', [d]),
      wGate: get(p + 'ffn_gate.weight', [f, d]),
      wUp: get(p + 'ffn_up.weight', [f, d]),
      wDown: get(p + 'ffn_down.weight', [d, f]),
    };
  });
  const embed = get('token_embd.weight', [v, d]);
  return {
    arch,
    embed,
    blocks,
    norm: get('output_norm.weight', [d]),
    head: arch.tiedEmbeddings ? embed : get('output.weight', [v, d]),
  };
}
