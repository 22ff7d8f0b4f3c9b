"""Float reference of SmolLM2-135M for docs/models.md: held-out perplexity and greedy choices.

Independent of the TypeScript importer: weights dequantized by the `gguf` package (gguf-py),
llama.cpp's own RoPE convention on the file's row order (adjacent pairs 2i, 2i+1: no
un-permutation), tokens from Hugging Face `tokenizers` built from the GGUF vocabulary and merges
(Digits(individual) + ByteLevel, SmolLM's pre-tokenizer). float64 numpy. Never part of the product.

  python3 -m venv scripts/smollm2/.venv
  scripts/smollm2/.venv/bin/pip install -r scripts/smollm2/requirements.txt
  scripts/smollm2/.venv/bin/python scripts/smollm2/float_reference.py [windows]
"""
import json, sys, time
from pathlib import Path
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from tokenizers import Tokenizer, models, pre_tokenizers

ROOT = Path(__file__).resolve().parents[2]
GGUF = ROOT / '.cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf'
HELDOUT = ROOT / 'models/tiny-llm/data/heldout.txt'  # Jude + Revelation (KJV), Debian bible-kjv-text
OUT = ROOT / 'models/smollm2/float-eval.json'
T = 64

r = GGUFReader(str(GGUF))
def field(k):
    f = r.fields[k]
    if len(f.data) == 1 and f.types[0].name != 'ARRAY':
        v = f.parts[f.data[0]]
        return bytes(v).decode() if f.types[0].name == 'STRING' else v[0].item()
    return [bytes(f.parts[i]).decode() for i in f.data]
d, L = field('llama.embedding_length'), field('llama.block_count')
nh, nkv, ff = field('llama.attention.head_count'), field('llama.attention.head_count_kv'), field('llama.feed_forward_length')
base, eps = field('llama.rope.freq_base'), field('llama.attention.layer_norm_rms_epsilon')
hd = d // nh
W = {t.name: dequantize(t.data, t.tensor_type).astype(np.float64).reshape([int(x) for x in reversed(t.shape)]) for t in r.tensors}
tokens, merges = field('tokenizer.ggml.tokens'), field('tokenizer.ggml.merges')
tk = Tokenizer(models.BPE({t: i for i, t in enumerate(tokens)}, [tuple(m.split(' ')) for m in merges]))
tk.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])

pos = np.arange(T)[:, None] * base ** (-np.arange(0, hd, 2) / hd)[None, :]
COS, SIN = np.cos(pos), np.sin(pos)

def rope_adjacent(x):  # [t, heads, hd], pairs (2i, 2i+1) as llama.cpp's LLAMA_ROPE_TYPE_NORM
    t = x.shape[0]
    a, b = x[..., 0::2], x[..., 1::2]
    c, s = COS[:t, None, :], SIN[:t, None, :]
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = a * c - b * s, b * c + a * s
    return out

def norm(x, g):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g

def forward(ids):
    t = len(ids)
    x = W['token_embd.weight'][ids]
    mask = np.triu(np.full((t, t), -np.inf), 1)
    for i in range(L):
        p = f'blk.{i}.'
        h = norm(x, W[p + 'attn_norm.weight'])
        q = rope_adjacent((h @ W[p + 'attn_q.weight'].T).reshape(t, nh, hd))
        k = rope_adjacent((h @ W[p + 'attn_k.weight'].T).reshape(t, nkv, hd))
        v = (h @ W[p + 'attn_v.weight'].T).reshape(t, nkv, hd)
        k, v = np.repeat(k, nh // nkv, axis=1), np.repeat(v, nh // nkv, axis=1)
        s = np.einsum('thd,uhd->htu', q, k) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
        x = x + np.einsum('htu,uhd->thd', s, v).reshape(t, d) @ W[p + 'attn_output.weight'].T
        h = norm(x, W[p + 'ffn_norm.weight'])
        g = h @ W[p + 'ffn_gate.weight'].T
        x = x + (g / (1 + np.exp(-g)) * (h @ W[p + 'ffn_up.weight'].T)) @ W[p + 'ffn_down.weight'].T
    head = W.get('output.weight', W['token_embd.weight'])
    return norm(x, W['output_norm.weight']) @ head.T

ids = tk.encode(HELDOUT.read_text('ascii')).ids
n = min(int(sys.argv[1]) if len(sys.argv) > 1 else 128, (len(ids) - 1) // T)
start, nll, greedy = time.time(), 0.0, []
for w in range(n):
    window, target = ids[w * T:w * T + T], ids[w * T + 1:w * T + T + 1]
    z = forward(window)
    z = z - z.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    nll -= logp[np.arange(T), target].sum()
    greedy += [int(a) for a in z.argmax(-1)]
OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({
    'generatedBy': 'scripts/smollm2/float_reference.py (gguf-py dequantization, numpy float64, HF tokenizers)',
    'heldOut': {'text': 'models/tiny-llm/data/heldout.txt', 'tokens': len(ids), 'T': T, 'windows': n,
                'positions': n * T, 'perplexity': float(np.exp(nll / (n * T)))},
    'greedy': greedy, 'seconds': round(time.time() - start, 1),
}) + '\n')
print(f'{n} windows of {T}: float perplexity {np.exp(nll / (n * T)):.4f}, {time.time() - start:.1f} s')
