import { describe, expect, it } from "vitest";
import { majorityClass, naiveBayes } from "../../../../worker/engine/bench/grades/baselines.ts";
import { estimateTrainingFlops } from "../../../../worker/engine/bench/grades/flops.ts";
import { TASKS } from "../../../../worker/engine/bench/grades/tasks/index.ts";
import { subjectAndBody } from "../../../../worker/engine/bench/grades/tasks/spam.ts";
import { loadSplits, splitByGroup } from "../../../../worker/engine/bench/grades/tasks/split.ts";
import type { ModelConfig } from "../../../../worker/engine/model/types.ts";

describe("benchmark tasks", () => {
  it("sentiment has the 3,000 UCI sentences, balanced, without the files' trailing empty rows", async () => {
    const items = await TASKS.sentiment!.load();
    expect(items.length).toBe(3000);
    expect(items.filter((i) => i.label === 1).length).toBe(1500);
    expect(items.every((i) => i.text.length > 0)).toBe(true);
  });

  it("spam has 6,046 messages, 1,896 spam, shown by subject and body only", async () => {
    const items = await TASKS.spam!.load();
    expect(items.length).toBe(6046);
    expect(items.filter((i) => i.label === 1).length).toBe(1896);
    const headerLine = /(^|\n)(received|return-path|delivered-to|x-[\w-]+):/i;
    expect(items.filter((i) => headerLine.test(i.text)).length).toBe(0);
    const m = subjectAndBody(
      "Received: from x\nSubject: Cheap\n  pills\nX-Spam: yes\n\n<p>Buy&nbsp;now</p>\n",
    );
    expect(m).toEqual({ subject: "Cheap pills", body: "Buy now" });
  });

  it("splits are fixed, disjoint and by group: no Brown document is in two splits", async () => {
    const items = await TASKS.brown!.load();
    const a = splitByGroup(items);
    const b = splitByGroup(items);
    expect(a).toEqual(b);
    const groups = (xs: typeof items) => new Set(xs.map((i) => i.group));
    const [tr, va, te] = [groups(a.train), groups(a.validation), groups(a.test)];
    for (const g of te) expect(tr.has(g) || va.has(g)).toBe(false);
    for (const g of va) expect(tr.has(g)).toBe(false);
    expect(tr.size + va.size + te.size).toBe(500);
  });

  it("naive Bayes beats the majority class on sentiment, near the 0.82 reported for these sentences", async () => {
    const t = TASKS.sentiment!;
    const s = await loadSplits(t);
    const nb = naiveBayes(s.train, s.test, t.choices).accuracy;
    const majority = majorityClass(s.train, s.test, t.choices).accuracy;
    expect(majority).toBeLessThan(0.56);
    expect(nb).toBeGreaterThan(0.78);
    expect(nb).toBeLessThan(0.86);
  });
});

describe("estimateTrainingFlops", () => {
  it("counts 4 FLOPs per matmul weight per token, plus weight gradients while trained, plus 2 per evaluated token", () => {
    // One layer, hidden 2, one head of dim 2, intermediate 3: q, k, v, o are 2×2 (4 each), gate/up/down 2×3 (6 each).
    const config = {
      hidden_size: 2,
      intermediate_size: 3,
      num_attention_heads: 1,
      num_key_value_heads: 1,
      head_dim: 2,
      num_hidden_layers: 1,
    } as ModelConfig;
    const n = 4 * 4 + 3 * 6; // 34 matmul weights
    const flops = estimateTrainingFlops({
      config,
      loraR: undefined,
      trainedTokens: 100,
      steps: 10,
      // q_proj trained 10 steps, down_proj frozen after 4: weight gradients 2·4·10·10 + 2·6·4·10.
      components: [
        { projection: "q_proj", trainedSteps: 10 },
        { projection: "down_proj", trainedSteps: 4 },
      ],
      evalTokens: 50,
    });
    expect(flops).toBe(4 * n * 100 + 2 * 4 * 10 * 10 + 2 * 6 * 4 * 10 + 2 * n * 50);
  });
});
