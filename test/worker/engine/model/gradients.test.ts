// Finite-difference checks of the decoder's gradients. Parts are checked on their own with central
// differences of the float32 function (step 1e-2: truncation error O(h^2) ~ 1e-4, rounding ~ 1e-5); the whole
// decoder is checked against central differences of the independent float64 reference (step 1e-5).
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../../worker/engine/backend.ts";
import { rmsNorm } from "../../../../worker/engine/kernels/rms-norm.ts";
import {
  type AttentionWeights,
  buildAttentionMask,
  selfAttention,
} from "../../../../worker/engine/model/attention.ts";
import { DecoderModel } from "../../../../worker/engine/model/causal-lm.ts";
import { parseModelConfig } from "../../../../worker/engine/model/config.ts";
import { Linear } from "../../../../worker/engine/model/linear.ts";
import { mlp } from "../../../../worker/engine/model/mlp.ts";
import { rotaryTables } from "../../../../worker/engine/model/rotary.ts";
import { expectedWeights } from "../../../../worker/engine/model/weights.ts";
import { lcg, randomWeights, toTensors } from "../support/random-weights.ts";
import { type RefTensor, referenceLogits } from "../support/reference-decoder.ts";

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  const next = lcg(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale),
    shape,
  );
}

/**
 * Compares the autodiff gradient of f wrt v (a tf.Variable) with central differences at `indices`.
 * Returns the largest relative error.
 */
function checkGrad(f: () => tf.Scalar, v: tf.Variable, indices: number[], h = 1e-2): number {
  const { grads } = tf.variableGrads(f, [v]);
  const g = grads[v.name]!.dataSync();
  tf.dispose(grads);
  const base = v.dataSync().slice();
  let worst = 0;
  for (const i of indices) {
    const at = (delta: number) => {
      const x = base.slice();
      x[i]! += delta;
      v.assign(tf.tensor(x, v.shape));
      return tf.tidy(() => f().dataSync()[0]!);
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - g[i]!) / Math.max(1e-2, Math.abs(fd)));
    expect(Math.abs(g[i]!)).toBeLessThan(1e3);
  }
  v.assign(tf.tensor(base, v.shape));
  return worst;
}

const cfg = parseModelConfig({
  model_type: "qwen3",
  vocab_size: 23,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 4,
});

describe.each(["cpu", "wasm"] as const)("gradients on %s", (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it("RMSNorm: wrt input and weight", () => {
    const x = tf.variable(rand([3, 8], 1));
    const w = tf.variable(rand([8], 2, 1));
    const r = rand([3, 8], 3);
    const f = () => tf.sum(tf.mul(rmsNorm(x, w as tf.Tensor1D, 1e-6), r)) as tf.Scalar;
    expect(checkGrad(f, x, [0, 5, 13, 23])).toBeLessThan(2e-3);
    expect(checkGrad(f, w, [0, 3, 7])).toBeLessThan(2e-3);
    tf.dispose([x, w, r]);
  });

  it("rope + grouped-query attention with q/k norms and a padding mask: wrt input and q/k/v/o weights", () => {
    const B = 2;
    const T = 4;
    const v = (shape: number[], seed: number, scale = 0.5) => tf.variable(rand(shape, seed, scale));
    const proj = (name: string, shape: number[], seed: number) => new Linear(name, v(shape, seed));
    const w: AttentionWeights = {
      q_proj: proj("q", [16, 8], 10),
      k_proj: proj("k", [8, 8], 11),
      v_proj: proj("v", [8, 8], 12),
      o_proj: proj("o", [8, 16], 13),
      q_norm: v([4], 14, 1),
      k_norm: v([4], 15, 1),
    };
    const x = v([B * T, 8], 16, 1);
    const r = rand([B * T, 8], 17);
    const { cos, sin } = rotaryTables(T, 4, 10000);
    const mask = buildAttentionMask(
      tf.tensor2d(
        [
          [1, 1, 1, 1],
          [1, 1, 1, 0],
        ],
        undefined,
        "int32",
      ),
      B,
      T,
    );
    const ctx = { training: false, dropoutSeed: 0 };
    const f = () =>
      tf.sum(
        tf.mul(selfAttention(x as tf.Tensor2D, w, cfg, { batch: B, length: T, cos, sin, mask }, ctx), r),
      ) as tf.Scalar;
    expect(checkGrad(f, x, [0, 9, 30, 62])).toBeLessThan(3e-3);
    expect(checkGrad(f, w.q_proj.weight, [0, 17, 100])).toBeLessThan(3e-3);
    expect(checkGrad(f, w.k_proj.weight, [3, 40])).toBeLessThan(3e-3);
    expect(checkGrad(f, w.v_proj.weight, [5, 63])).toBeLessThan(3e-3);
    expect(checkGrad(f, w.o_proj.weight, [7, 120])).toBeLessThan(3e-3);
    expect(checkGrad(f, w.k_norm!, [1, 2])).toBeLessThan(3e-3);
  });

  it("SwiGLU MLP: wrt input and gate/up/down weights", () => {
    const mk = (name: string, shape: number[], seed: number) =>
      new Linear(name, tf.variable(rand(shape, seed, 0.5)));
    const w = {
      gate_proj: mk("g", [12, 8], 20),
      up_proj: mk("u", [12, 8], 21),
      down_proj: mk("d", [8, 12], 22),
    };
    const x = tf.variable(rand([3, 8], 23));
    const r = rand([3, 8], 24);
    const ctx = { training: false, dropoutSeed: 0 };
    const f = () => tf.sum(tf.mul(mlp(x as tf.Tensor2D, w, ctx), r)) as tf.Scalar;
    expect(checkGrad(f, x, [0, 11, 23])).toBeLessThan(2e-3);
    expect(checkGrad(f, w.gate_proj.weight, [0, 50, 95])).toBeLessThan(2e-3);
    expect(checkGrad(f, w.up_proj.weight, [4, 77])).toBeLessThan(2e-3);
    expect(checkGrad(f, w.down_proj.weight, [9, 90])).toBeLessThan(2e-3);
  });

  it("whole decoder: cross-entropy gradients wrt weight entries match float64 finite differences of the reference", () => {
    const weights = randomWeights(expectedWeights(cfg), 31, 0.4);
    const model = new DecoderModel(cfg, toTensors(weights));
    const ids = [
      [3, 9, 14, 2, 20],
      [7, 1, 1, 18, 5],
    ];
    const mask = [
      [1, 1, 1, 1, 1],
      [1, 1, 1, 1, 0],
    ];
    // Next-token targets; the last position and padding are not scored.
    const scored: [number, number, number][] = [];
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 4; t++) if (mask[b]![t + 1]) scored.push([b, t, ids[b]![t + 1]!]);
    const refLoss = (w: Map<string, RefTensor>) => {
      const logits = referenceLogits(cfg, w, ids, mask);
      let sum = 0;
      for (const [b, t, y] of scored) {
        const row = logits[b]![t]!;
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, z) => s + Math.exp(z - m), 0));
        sum += lse - row[y]!;
      }
      return sum / scored.length;
    };
    const weightRows = new Float32Array(2 * 5);
    const targets = new Int32Array(2 * 5);
    for (const [b, t, y] of scored) {
      weightRows[b * 5 + t] = 1;
      targets[b * 5 + t] = y;
    }
    const input = tf.tensor2d(ids, undefined, "int32");
    const attn = tf.tensor2d(mask, undefined, "int32");
    const loss = () =>
      tf.tidy(() => {
        const logp = tf.logSoftmax(tf.reshape(model.forward(input, attn), [10, cfg.vocab_size]));
        const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(targets, "int32"), cfg.vocab_size)), -1);
        return tf.div(tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(weightRows)))), scored.length) as tf.Scalar;
      });
    expect(loss().dataSync()[0]).toBeCloseTo(refLoss(weights), 5);

    const probes: [string, number[]][] = [
      ["model.embed_tokens.weight", [3 * 8 + 1, 14 * 8 + 7]],
      ["model.layers.0.self_attn.q_proj.weight", [0, 77]],
      ["model.layers.0.self_attn.k_norm.weight", [2]],
      ["model.layers.0.input_layernorm.weight", [4]],
      ["model.layers.1.self_attn.v_proj.weight", [13]],
      ["model.layers.1.mlp.down_proj.weight", [5, 90]],
      ["model.norm.weight", [6]],
    ];
    const vars = probes.map(([name]) => model.namedWeights().get(name)!);
    // Base weights are created non-trainable; variableGrads only differentiates trainable ones.
    for (const v of vars) v.trainable = true;
    const { grads } = tf.variableGrads(loss, vars);
    const h = 1e-5;
    for (const [k, [name, indices]] of probes.entries()) {
      const g = grads[vars[k]!.name]!.dataSync();
      for (const i of indices) {
        const t = weights.get(name)!;
        const perturbed = (d: number) => {
          const data = Float64Array.from(t.data);
          data[i]! += d;
          return refLoss(new Map(weights).set(name, { shape: t.shape, data }));
        };
        const fd = (perturbed(h) - perturbed(-h)) / (2 * h);
        expect(Math.abs(fd), `${name}[${i}]`).toBeGreaterThan(1e-6);
        expect(Math.abs(g[i]! - fd), `${name}[${i}]`).toBeLessThan(2e-4 + 2e-3 * Math.abs(fd));
      }
    }
    tf.dispose(grads);
    tf.dispose([input, attn]);
    model.dispose();
  });
});
