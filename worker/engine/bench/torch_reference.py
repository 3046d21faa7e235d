"""PyTorch reference for `npm run bench:engine`: the bench model's shape trained the same way, on CPU.

A Qwen3-shaped decoder (RMSNorm, q/k norms, rotary embeddings, grouped-query attention, SwiGLU MLP, tied
embeddings), written out here so the comparison needs nothing beyond Debian's python3-torch. LoRA wraps the
same projections with the same rank; "full" trains the projection matrices, as the engine's full mode does.
AdamW, gradient clipping at norm 1, random token batches.

Protocol (one JSON object per line): prints {"ready": ...} with the torch version, its BLAS and thread count,
then for every {"steps": k} read on stdin runs k optimizer steps and prints their wall seconds.
"""

import argparse
import ctypes
import json
import math
import os
import resource
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def openblas_core(paths: list[str]) -> str:
    """The kernels OpenBLAS picked for this CPU (the engine's bench pins them through OPENBLAS_CORETYPE, which
    this process inherits, so both sides run the same ones: side-by-side.ts)."""
    for path in sorted(paths, key=lambda p: "libopenblas" not in p):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return "unknown"


def blas_in_use() -> str:
    """The BLAS library this process actually loaded (torch reports only BLAS_INFO=generic on Debian)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    if not libs:
        return "none found (MKL or built-in)"
    names = sorted(libs)
    openblas = [n for n in names if "openblas" in n]
    if openblas:
        return f"OpenBLAS, {openblas_core(openblas)} kernels (" + ", ".join(names) + ")"
    return "reference BLAS, slow (" + ", ".join(names) + "): install libopenblas0-pthread"


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / math.sqrt(base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h, self.kv, self.d = c.heads, c.kv_heads, c.head_dim
        self.q_proj = nn.Linear(c.hidden, self.h * self.d, bias=False)
        self.k_proj = nn.Linear(c.hidden, self.kv * self.d, bias=False)
        self.v_proj = nn.Linear(c.hidden, self.kv * self.d, bias=False)
        self.o_proj = nn.Linear(self.h * self.d, c.hidden, bias=False)
        self.q_norm = RMSNorm(self.d)
        self.k_norm = RMSNorm(self.d)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(B, T, self.h, self.d)).transpose(1, 2)  # [B, H, T, D]
        k = self.k_norm(self.k_proj(x).view(B, T, self.kv, self.d)).transpose(1, 2)  # [B, KV, T, D]
        v = self.v_proj(x).view(B, T, self.kv, self.d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.h // self.kv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.d) + mask  # [B, H, T, T]
        y = att.softmax(-1) @ v
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.h * self.d))


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden, c.intermediate, bias=False)
        self.up_proj = nn.Linear(c.hidden, c.intermediate, bias=False)
        self.down_proj = nn.Linear(c.intermediate, c.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden)
        self.mlp = Mlp(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class CausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab, c.hidden)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c.layers))
        self.norm = RMSNorm(c.hidden)
        inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2).float() / c.head_dim))
        freqs = torch.outer(torch.arange(c.seq).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos())
        self.register_buffer("sin", emb.sin())
        self.register_buffer("mask", torch.full((c.seq, c.seq), float("-inf")).triu(1))

    def forward(self, ids):
        T = ids.shape[1]
        x = self.embed_tokens(ids)
        cos, sin, mask = self.cos[:T], self.sin[:T], self.mask[:T, :T]
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x) @ self.embed_tokens.weight.t()  # tied lm_head: [B, T, V]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--type", choices=["lora", "full"], default="lora")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--vocab", type=int, default=4096)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--intermediate", type=int, default=768)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--kv-heads", type=int, default=4)
    p.add_argument("--head-dim", type=int, default=32)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--lora-r", type=int, default=8)
    p.add_argument("--rope-theta", type=float, default=1_000_000.0)
    c = p.parse_args()
    torch.set_num_threads(c.threads)
    torch.manual_seed(1)
    model = CausalLM(c)
    for param in model.parameters():
        param.requires_grad_(False)
    trainable = []
    for layer in model.layers:
        for owner in (layer.self_attn, layer.mlp):
            for name in PROJECTIONS:
                if not hasattr(owner, name):
                    continue
                linear = getattr(owner, name)
                if c.type == "lora":
                    wrapped = LoraLinear(linear, c.lora_r, 16.0)
                    setattr(owner, name, wrapped)
                    trainable += [wrapped.lora_A, wrapped.lora_B]
                else:
                    linear.weight.requires_grad_(True)
                    trainable.append(linear.weight)
    opt = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0)
    gen = torch.Generator().manual_seed(7)

    def step():
        ids = torch.randint(0, c.vocab, (c.batch, c.seq), generator=gen)
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, c.vocab), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        return loss.item()

    print(
        json.dumps(
            {
                "ready": True,
                "torch": torch.__version__,
                "blas": blas_in_use(),
                "threads": torch.get_num_threads(),
                "trainable": sum(t.numel() for t in trainable),
            }
        ),
        flush=True,
    )
    for line in sys.stdin:
        k = json.loads(line)["steps"]
        seconds = []
        for _ in range(k):
            start = time.perf_counter()
            step()
            seconds.append(time.perf_counter() - start)
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
        print(json.dumps({"seconds": seconds, "tokens": c.batch * c.seq, "maxRssBytes": max_rss}), flush=True)


if __name__ == "__main__":
    main()
