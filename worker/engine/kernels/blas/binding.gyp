{
  "targets": [
    {
      "target_name": "grades_blas",
      "sources": ["sgemm.c", "adamw.c", "swiglu.c", "rms-norm.c", "rotary.c", "l1-distance.c", "signal-average.c", "sum-squares.c", "add-floats.c", "attention.c", "cross-entropy.c"],
      "cflags": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
      "libraries": ["-lopenblas"]
    }
  ]
}
