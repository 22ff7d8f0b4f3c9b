"""Trains tiny-llm, a LLaMA-architecture byte-level language model, on the King James Bible.

Offline only (CI never retrains): the outputs below are committed under models/tiny-llm/ and the
TypeScript side (scripts/tiny-llm/quantize.ts) starts from them. Needs Debian's bible-kjv-text
(the text) and bible-kjv (its reader, /usr/bin/bible), and the venv of requirements.txt:

    apt-get install -y bible-kjv-text
    python3 -m venv scripts/tiny-llm/.venv
    scripts/tiny-llm/.venv/bin/pip install -r scripts/tiny-llm/requirements.txt
    scripts/tiny-llm/.venv/bin/python scripts/tiny-llm/train.py

Writes (docs/models.md, "tiny-llm"):
    tiny-llm.float.safetensors  float32 weights (safetensors layout, written by hand below)
    float-eval.json             architecture, data split, training record, float perplexity,
                                and the float model's greedy predictions on held-out windows
    data/heldout.txt            the held-out books (evaluation text)
    data/calibration.txt        training windows the quantizer calibrates on
"""

import hashlib
import json
import math
import os
import re
import struct
import subprocess
import time

import numpy as np
import torch
import torch.nn.functional as F

# The circuits' budget sets the context: a step circuit must fit 2^17 constraints.
T = 16
D = 64
HEADS = 4
HEAD_DIM = D // HEADS
FFN = 128
VOCAB = 128
LAYERS = 2
ROPE_BASE = 10000.0
NORM_EPS = 1e-5
# Any byte outside 7-bit ASCII becomes ASCII SUB (0x1a); the KJV text has none.
REPLACEMENT_ID = 0x1A

SEED = 13
STEPS = int(os.environ.get("TINY_LLM_STEPS", "5000"))
BATCH = 64
LR = 3e-3
WARMUP = 100
WEIGHT_DECAY = 0.01
HELD_OUT_BOOKS = ("Jude", "Rev")
CALIBRATION_WINDOWS = 512
SAVED_PREDICTION_WINDOWS = 512

OUT = os.environ.get(
    "TINY_LLM_OUT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "tiny-llm")
)


def read_corpus():
    """Every verse of the KJV as (book, text), in canonical order, via Debian's `bible` reader."""
    raw = subprocess.run(
        ["bible", "-f", "ge1:1-re22:21"], stdin=subprocess.DEVNULL, capture_output=True, check=True
    ).stdout
    verses = []
    for line in raw.decode("ascii").splitlines():
        ref, text = line.split(" ", 1)
        verses.append((re.fullmatch(r"(\d?[A-Za-z]+)\d+:\d+", ref).group(1), text))
    return raw, verses


def tokenize(text):
    return np.array([b if b < 128 else REPLACEMENT_ID for b in text.encode("utf-8")], dtype=np.int64)


def rms_norm(x, weight):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS) * weight


def rope_tables():
    """cos/sin [T, HEAD_DIM/2] for LLaMA's rotate-half pairing (i with i + HEAD_DIM/2)."""
    inv_freq = ROPE_BASE ** (-torch.arange(0, HEAD_DIM // 2, dtype=torch.float64) * 2 / HEAD_DIM)
    angles = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]
    return torch.cos(angles).float(), torch.sin(angles).float()


def apply_rope(x, cos, sin):
    half = HEAD_DIM // 2
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)


class TinyLlama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        p = torch.nn.Parameter
        self.embed = p(torch.randn(VOCAB, D) * 0.02)
        self.blocks = torch.nn.ModuleList()
        out_std = 0.02 / math.sqrt(2 * LAYERS)
        for _ in range(LAYERS):
            block = torch.nn.Module()
            block.attn_norm = p(torch.ones(D))
            block.wq = p(torch.randn(D, D) * 0.02)
            block.wk = p(torch.randn(D, D) * 0.02)
            block.wv = p(torch.randn(D, D) * 0.02)
            block.wo = p(torch.randn(D, D) * out_std)
            block.ffn_norm = p(torch.ones(D))
            block.w_gate = p(torch.randn(FFN, D) * 0.02)
            block.w_up = p(torch.randn(FFN, D) * 0.02)
            block.w_down = p(torch.randn(D, FFN) * out_std)
            self.blocks.append(block)
        self.norm = p(torch.ones(D))
        self.head = p(torch.randn(VOCAB, D) * 0.02)
        cos, sin = rope_tables()
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)))

    def forward(self, tokens):
        batch, t = tokens.shape
        x = self.embed[tokens]
        for blk in self.blocks:
            h = rms_norm(x, blk.attn_norm)
            heads = lambda y: y.view(batch, t, HEADS, HEAD_DIM).transpose(1, 2)  # noqa: E731
            q = apply_rope(heads(h @ blk.wq.T), self.cos[:t], self.sin[:t])
            k = apply_rope(heads(h @ blk.wk.T), self.cos[:t], self.sin[:t])
            v = heads(h @ blk.wv.T)
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(HEAD_DIM)
            scores = scores.masked_fill(~self.mask[:t, :t], float("-inf"))
            a = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, t, D)
            x = x + a @ blk.wo.T
            h = rms_norm(x, blk.ffn_norm)
            x = x + (F.silu(h @ blk.w_gate.T) * (h @ blk.w_up.T)) @ blk.w_down.T
        return rms_norm(x, self.norm) @ self.head.T

    def named_weights(self):
        """The exported tensors, named as quantize.ts reads them; matrices are [out][in]."""
        out = {"embed": self.embed}
        for i, blk in enumerate(self.blocks):
            for name in ("attn_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w_gate", "w_up", "w_down"):
                out[f"layers.{i}.{name}"] = getattr(blk, name)
        out["norm"] = self.norm
        out["head"] = self.head
        return out


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def windows(tokens):
    """Non-overlapping windows: inputs tokens[i*T : i*T+T], targets shifted by one."""
    n = (len(tokens) - 1) // T
    x = np.stack([tokens[i * T : i * T + T] for i in range(n)])
    y = np.stack([tokens[i * T + 1 : i * T + T + 1] for i in range(n)])
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)

    raw, verses = read_corpus()
    train_text = "\n".join(text for book, text in verses if book not in HELD_OUT_BOOKS) + "\n"
    held_text = "\n".join(text for book, text in verses if book in HELD_OUT_BOOKS) + "\n"
    train, held = tokenize(train_text), tokenize(held_text)
    print(f"corpus: {len(verses)} verses, {len(train)} training bytes, {len(held)} held-out bytes")

    model = TinyLlama()
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
        lr=LR,
        betas=(0.9, 0.95),
    )
    start, losses = time.perf_counter(), []
    for step in range(STEPS):
        lr = LR * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + math.cos(math.pi * step / STEPS))
        for group in opt.param_groups:
            group["lr"] = lr
        offsets = rng.integers(0, len(train) - T - 1, size=BATCH)
        batch = torch.from_numpy(np.stack([train[o : o + T + 1] for o in offsets]))
        logits = model(batch[:, :T])
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), batch[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if step % 250 == 0 or step == STEPS - 1:
            print(f"step {step}: loss {np.mean(losses[-250:]):.4f} lr {lr:.5f}")
    seconds = time.perf_counter() - start

    model.eval()
    x, y = windows(held)
    with torch.no_grad():
        logits = model(x).double()
    nll = -torch.log_softmax(logits, dim=-1).gather(-1, y[..., None]).mean().item()
    greedy = logits.argmax(-1)
    accuracy = (greedy == y).double().mean().item()
    print(f"held-out: {x.shape[0]} windows, perplexity {math.exp(nll):.4f} per byte, "
          f"next-byte accuracy {accuracy:.4f}, trained in {seconds:.1f} s")

    os.makedirs(os.path.join(OUT, "data"), exist_ok=True)
    with open(os.path.join(OUT, "data", "heldout.txt"), "w", encoding="ascii", newline="\n") as f:
        f.write(held_text)
    cal = rng.integers(0, len(train) - T, size=CALIBRATION_WINDOWS)
    with open(os.path.join(OUT, "data", "calibration.txt"), "w", encoding="ascii", newline="\n") as f:
        # One window a line; a window's own newlines are written as the two characters \n.
        for o in cal:
            f.write(bytes(train[o : o + T].tolist()).decode("ascii").replace("\\", "\\\\").replace("\n", "\\n") + "\n")

    architecture = {
        "context": T, "dim": D, "heads": HEADS, "headDim": HEAD_DIM, "ffn": FFN, "vocab": VOCAB,
        "layers": LAYERS, "ropeBase": ROPE_BASE, "normEps": NORM_EPS, "replacementId": REPLACEMENT_ID,
    }
    write_safetensors(os.path.join(OUT, "tiny-llm.float.safetensors"), model.named_weights(),
                      {k: str(v) for k, v in architecture.items()})
    record = {
        "generatedBy": "scripts/tiny-llm/train.py; deterministic except training.seconds",
        "architecture": architecture,
        "parameters": sum(p.numel() for p in model.parameters()),
        "corpus": {
            "source": "Debian bible-kjv-text (/usr/lib/bible.data) read with `bible -f ge1:1-re22:21`",
            "sha256": hashlib.sha256(raw).hexdigest(),
            "verses": len(verses),
            "join": "verse texts (reference stripped) joined with \\n",
            "heldOutBooks": list(HELD_OUT_BOOKS),
            "trainingBytes": int(len(train)),
            "heldOutBytes": int(len(held)),
        },
        "training": {
            "seed": SEED, "steps": STEPS, "batch": BATCH, "optimizer": "AdamW(0.9, 0.95)",
            "lr": LR, "warmup": WARMUP, "schedule": "linear warmup, cosine to 0", "weightDecay": WEIGHT_DECAY,
            "gradClip": 1.0, "torch": torch.__version__, "threads": 1,
            "finalLoss": float(np.mean(losses[-250:])), "seconds": round(seconds, 1),
        },
        "heldOut": {
            "windows": int(x.shape[0]),
            "positions": int(y.numel()),
            "perplexity": math.exp(nll),
            "nllPerByte": nll,
            "nextByteAccuracy": accuracy,
            "method": "non-overlapping windows of T bytes, every position scored; float32 logits, log-softmax in float64",
        },
        "greedy": {
            "windows": SAVED_PREDICTION_WINDOWS,
            "argmaxHex": bytes(greedy[:SAVED_PREDICTION_WINDOWS].reshape(-1).tolist()).hex(),
        },
    }
    with open(os.path.join(OUT, "float-eval.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
