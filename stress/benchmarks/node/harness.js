'use strict';
// Measures one shape the way the JMH benchmarks do: each invocation runs the full N operations
// to completion; warm-up invocations first, then measured ones; the figure is ops/s with the
// 99.9% confidence half-width (as JMH's "Error"). Prints one JSON line.

const WARMUP = Number(process.env.BENCH_NODE_WARMUP || 5);
const ITERATIONS = Number(process.env.BENCH_NODE_ITERATIONS || 10);
const SMOKE = process.env.BENCH_NODE_SMOKE === 'true';

// Student's t, two-sided 99.9%, by degrees of freedom (as JMH uses for its error).
const T999 = {1: 636.62, 2: 31.6, 3: 12.92, 4: 8.61, 5: 6.869, 6: 5.959, 7: 5.408, 8: 5.041,
  9: 4.781, 10: 4.587, 11: 4.437, 12: 4.318, 13: 4.221, 14: 4.14, 15: 4.073, 19: 3.883,
  24: 3.745, 29: 3.659};

function t999(df) {
  if (T999[df]) return T999[df];
  const known = Object.keys(T999).map(Number).filter((k) => k <= df);
  return df > 29 ? 3.291 : T999[Math.max(...known)];
}

/** n: operations per invocation; invoke(n): a function returning a promise settled when done. */
async function measure(shape, n, invoke) {
  const ops = SMOKE ? Math.max(1, Math.floor(n / 100)) : n;
  for (let i = 0; i < WARMUP; i++) await invoke(ops);
  const samples = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = process.hrtime.bigint();
    await invoke(ops);
    const nanos = Number(process.hrtime.bigint() - start);
    samples.push(ops / (nanos / 1e9));
  }
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const variance = samples.length > 1
    ? samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples.length - 1) : 0;
  const error = samples.length > 1 ? t999(samples.length - 1) * Math.sqrt(variance / samples.length) : NaN;
  const result = {shape, operations: ops, score: mean, error, unit: 'ops/s', warmup: WARMUP,
    iterations: ITERATIONS, samples, node: process.version};
  process.stdout.write(JSON.stringify(result) + '\n');
}

module.exports = {measure};
