{
  "targets": [
    {
      "target_name": "grades_blas",
      "sources": ["sgemm.c"],
      "cflags": ["-O2"],
      "libraries": ["-lopenblas"]
    }
  ]
}
