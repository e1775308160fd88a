"""Finished experiments: their results are in benchmarks/results and the docs, and they still run
(`python -m benchmarks.experiments.NAME`), but nothing current depends on them. The live benchmarks,
whose figures the README keeps current, are in benchmarks/."""
