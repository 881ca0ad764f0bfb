'use strict';
// Writes summary.json and summary.md from one sitting: the JMH JSON, the Node figures and the
// context (machine, JDK, commit). Ratios are loopkit ÷ peer, with the error propagated from both
// scores' 99.9% half-widths (relative errors added in quadrature).
//
// Usage: node summary.js --jmh jmh.json --node node.json --out DIR [--commit SHA] [--command CMD]
//        [--load-before "1.0 0.9 0.8"] [--http http.json] [--lateness lateness.json]
// --http: shape F's figures (HttpSitting.java); without it, or if the file is missing, no F.
// --lateness: shape D's timer lateness (TimerLateness.java); likewise optional.
const fs = require('fs');
const os = require('os');
const path = require('path');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const jmh = JSON.parse(fs.readFileSync(args.jmh, 'utf8'));
const node = JSON.parse(fs.readFileSync(args.node, 'utf8'));
const optional = (file) => (file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null);
const http = optional(args.http);
const lateness = optional(args.lateness);

// ---- scores ------------------------------------------------------------------------------------
const SHAPES = {
  LoopLocalChain: 'A', CrossThreadSubmit: 'B', OffloadRoundTrip: 'C', TimerChurn: 'D', PromiseChain: 'E',
  ObservabilityOverhead: 'O',
};
const scores = {}; // key "A:subject" (E: "E:method:subject") -> {score, error}
const rows = [];
for (const r of jmh) {
  const [cls, method] = r.benchmark.split('.').slice(-2);
  const shape = SHAPES[cls];
  const subject = r.params.subject;
  const key = shape === 'E' || shape === 'O' ? `${shape}:${method}:${subject}` : `${shape}:${subject}`;
  const error = Number.isFinite(r.primaryMetric.scoreError) ? r.primaryMetric.scoreError : NaN;
  scores[key] = {score: r.primaryMetric.score, error};
  rows.push({shape, benchmark: `${cls}.${method}`, subject, score: r.primaryMetric.score, error,
    unit: r.primaryMetric.scoreUnit});
}
const NODE_KEYS = {
  'immediate-chain': 'A:node-setImmediate', 'offload-round-trip': 'C:node-randomFill',
  'timer-churn': 'D:node-setTimeout', 'promise-chain': 'E:promiseChain:node',
  'microtask-chain': 'E:microtaskChain:node',
};
for (const r of node.results) {
  scores[NODE_KEYS[r.shape]] = {score: r.score, error: r.error};
  const [shape, ...rest] = NODE_KEYS[r.shape].split(':');
  rows.push({shape, benchmark: `node/${r.shape}.js`, subject: rest.join(':'), score: r.score, error: r.error,
    unit: 'ops/s'});
}

function ratio(a, b) {
  const x = scores[a], y = scores[b];
  if (!x || !y) return null;
  const value = x.score / y.score;
  const rel = Math.hypot((x.error || 0) / x.score, (y.error || 0) / y.score);
  return {of: a, to: b, value, error: value * rel};
}

// ---- every loopkit subject against every peer of its shape -------------------------------------
const ratios = [];
for (const key of Object.keys(scores)) {
  const parts = key.split(':');
  const subject = parts[parts.length - 1];
  if (!subject.startsWith('loopkit-')) continue;
  const prefix = parts.slice(0, -1).join(':');
  for (const peer of Object.keys(scores)) {
    const pp = peer.split(':');
    const ps = pp[pp.length - 1];
    const samePrefix = pp.slice(0, -1).join(':') === prefix;
    if (samePrefix && !ps.startsWith('loopkit-')) ratios.push(ratio(key, peer));
  }
}

// ---- shape F: HTTP hello --------------------------------------------------------------------------
// Scores "F:<subject>" at c100 and "F:<subject>-c1000" at c1000, in requests per second: the median
// of the sitting's rounds, with half their spread (greatest − least) as the error (none for one
// round); ratios pair loopkit with each peer at the same concurrency.
const fKey = (t) => `F:${t.subject}${t.connections === 100 ? '' : `-c${t.connections}`}`;
const fError = (t) => (t.rounds && t.rounds.length > 1)
  ? (Math.max(...t.rounds) - Math.min(...t.rounds)) / 2 : null;
if (http) {
  for (const t of http.throughput) {
    scores[fKey(t)] = {score: t.requestsPerSecond, error: fError(t)};
    rows.push({shape: 'F', benchmark: 'HttpSitting.wrk', subject: fKey(t).slice(2),
      score: t.requestsPerSecond, error: fError(t), unit: 'req/s'});
  }
  for (const c of [100, 1000]) {
    const all = http.throughput.filter((t) => t.connections === c);
    for (const l of all.filter((t) => t.subject.startsWith('loopkit-'))) {
      for (const p of all.filter((t) => !t.subject.startsWith('loopkit-'))) ratios.push(ratio(fKey(l), fKey(p)));
    }
  }
}

// ---- the floors and goals (single-thread carrier) ------------------------------------
function bestJavaPeer(shape) {
  let best = null;
  for (const [k, v] of Object.entries(scores)) {
    const [s, subject] = k.split(':');
    if (s === shape && !subject.startsWith('loopkit-') && !subject.startsWith('node-')) {
      if (!best || v.score > scores[best].score) best = k;
    }
  }
  return best;
}
const targets = [
  ['A', 'A:loopkit-single-thread-setImmediate', 'A:netty-nio-event-loop', 0.5, 1.0],
  ['A', 'A:loopkit-single-thread-execute', 'A:netty-nio-event-loop', 0.5, 1.0],
  ['A', 'A:loopkit-single-thread-setImmediate', 'A:node-setImmediate', 20, null],
  ['B', 'B:loopkit-single-thread-execute', 'B:netty-nio-event-loop', 0.5, 1.0],
  ['C', 'C:loopkit-single-thread-offload', bestJavaPeer('C'), 0.9, 1.2],
  ['C', 'C:loopkit-single-thread-offload', 'C:node-randomFill', 1.3, null],
  ['D', 'D:loopkit-single-thread-setTimeout', 'D:netty-hashed-wheel-timer', 0.8, 1.0],
  ['E', 'E:promiseChain:loopkit-single-thread', 'E:promiseChain:node', 1.0, 2.0],
  ['E', 'E:microtaskChain:loopkit-single-thread', 'E:microtaskChain:node', 1.0, 2.0],
];
for (const carrier of ['fork-join', 'virtual']) {
  for (const v of ['setImmediate', 'execute']) {
    targets.push(['A', `A:loopkit-${carrier}-${v}`, `A:loopkit-single-thread-${v}`, 0.5, null]);
  }
  targets.push(['B', `B:loopkit-${carrier}-execute`, 'B:loopkit-single-thread-execute', 0.5, null]);
}
// DESIGN §3.6: observability cheap enough to leave on, within 5% of the bare loop
for (const m of ['setImmediateChain', 'executeChain', 'microtaskChain']) {
  for (const v of ['watchdog', 'metrics']) {
    targets.push(['O', `O:${m}:loopkit-single-thread-${v}`, `O:${m}:loopkit-single-thread-bare`, 0.95, null]);
  }
  // the binder's own cost: against a bare loop with a timer armed as the binder's delay timer is
  targets.push(['O', `O:${m}:loopkit-single-thread-metrics`, `O:${m}:loopkit-single-thread-timer`, 0.95, null]);
}
// shape F at c100; a sitting of only some servers (BENCH_HTTP_PEERS) leaves out the others' targets
for (const [peer, floor] of [['vertx-http', 1.0], ['node-http', 1.5], ['netty-http', 0.9]]) {
  const of = 'F:loopkit-single-thread-http', to = `F:${peer}`;
  if (scores[of] && scores[to]) targets.push(['F', of, to, floor, null]);
}
const checks = targets.map(([shape, a, b, floor, goal]) => {
  const r = ratio(a, b);
  return {shape, of: a, to: b, floor, goal, ratio: r && r.value, error: r && r.error,
    meetsFloor: r ? r.value >= floor : null, meetsGoal: r && goal != null ? r.value >= goal : null};
});

// JMH's forks per shape (each class says its own), e.g. {A: 3, B: 3, C: 1, ...}
function forksByShape() {
  const forks = {};
  for (const r of jmh) forks[SHAPES[r.benchmark.split('.').slice(-2)[0]]] = r.forks;
  return forks;
}
const forksText = (f) => {
  const byCount = {};
  for (const [shape, n] of Object.entries(f || {})) (byCount[n] = byCount[n] || []).push(shape);
  return Object.entries(byCount).map(([n, shapes]) => `${n} fork${n === '1' ? '' : 's'} (${shapes.sort().join(', ')})`).join(', ');
};

// ---- shape D's timer lateness: not a ratio; loopkit's single-thread p99 within 1 ms -------------
// A subject's error is half the spread of its passes' p99s.
const LATENESS_P99_MS = 1.0;
let latenessSection = null;
if (lateness) {
  const spread = (v) => (v.length > 1 ? (Math.max(...v) - Math.min(...v)) / 2 : null);
  const lk = lateness.subjects.find((l) => l.subject === 'loopkit-single-thread-setTimeout');
  latenessSection = {operations: lateness.operations, roundsPerBatch: lateness.roundsPerBatch,
    maxDelayMillis: lateness.maxDelayMillis, warmupPasses: lateness.warmupPasses, passes: lateness.passes,
    subjects: lateness.subjects.map((l) => ({...l, p99ErrorMs: spread(l.passP99Ms)})),
    checks: [{what: `loopkit-single-thread-setTimeout: timer lateness p99 under churn ≤ ${LATENESS_P99_MS} ms`,
      value: lk ? `${lk.p99Ms} ms` : 'not measured', met: !!lk && lk.p99Ms <= LATENESS_P99_MS}]};
}

// ---- context ------------------------------------------------------------------------------------
const first = jmh[0] || {};
const context = {
  date: new Date().toISOString(),
  commit: args.commit || null,
  command: args.command || null,
  machine: {cpu: os.cpus()[0] && os.cpus()[0].model, cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageBefore: args['load-before'] || null, loadAverageAfter: os.loadavg().map((x) => +x.toFixed(2)).join(' ')},
  jdk: {version: first.jdkVersion, vm: `${first.vmName} ${first.vmVersion}`, jvmArgs: first.jvmArgs},
  jmh: {version: first.jmhVersion, forks: forksByShape(), warmupIterations: first.warmupIterations,
    warmupTime: first.warmupTime, measurementIterations: first.measurementIterations,
    measurementTime: first.measurementTime},
  node: {version: node.node, warmup: node.results[0] && node.results[0].warmup,
    iterations: node.results[0] && node.results[0].iterations},
};

// ---- shape F's checks that are not ratios: c1000 without errors, latency at two rates, idle RSS --
let httpSection = null;
if (http) {
  const lk = 'loopkit-single-thread-http';
  const c1000 = http.throughput.filter((t) => t.connections === 1000);
  const errorsOf = (t) => Object.values(t.errors).reduce((a, b) => a + b, 0);
  const lkLatency = http.latency.filter((l) => l.subject === lk);
  const rss = (subject) => (http.idle.find((i) => i.subject === subject) || {}).rssKiB;
  const lkIdle = http.idle.find((i) => i.subject === lk);
  const httpChecks = [
    ...c1000.map((t) => ({what: `${t.subject} at c1000: no errors`, value: errorsOf(t), met: errorsOf(t) === 0})),
    {what: `${lk}: latency (p50/p99/p99.9) at two fixed rates, none dropped`,
      value: lkLatency.map((l) => `${l.rate}/s: ${l.p99Ms} ms p99, ${l.dropped} dropped`).join('; '),
      met: lkLatency.length >= 2 && lkLatency.every((l) => Number.isFinite(l.p999Ms) && l.dropped === 0)},
    {what: `${lk}: RSS with ${lkIdle ? lkIdle.connections : '?'} idle connections below helidon-http's`,
      value: `${rss(lk)} KiB vs ${rss('helidon-http')} KiB`,
      met: rss(lk) != null && rss('helidon-http') != null && lkIdle.open === lkIdle.connections &&
        rss(lk) < rss('helidon-http')},
  ];
  httpSection = {wrk: http.wrk, cores: http.cores, seconds: http.seconds, warmupSeconds: http.warmupSeconds,
    openLoop: http.openLoop, throughput: http.throughput, latency: http.latency, idle: http.idle,
    checks: httpChecks};
}

fs.writeFileSync(path.join(args.out, 'summary.json'),
  JSON.stringify({context, results: rows, ratios, targets: checks,
    ...(latenessSection ? {lateness: latenessSection} : {}), ...(httpSection ? {http: httpSection} : {})},
    null, 2) + '\n');

// ---- summary.md ---------------------------------------------------------------------------------
const fmt = (x) => (x == null || !Number.isFinite(x) ? '–' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));
const fmtR = (r, e) => (r == null ? '–' : `${r.toFixed(2)}× ± ${Number.isFinite(e) ? e.toFixed(2) : '?'}`);
const md = [];
md.push('# loopkit benchmarks — one sitting', '');
md.push(`- date: ${context.date}`, `- commit: ${context.commit}`, `- command: \`${context.command}\``);
md.push(`- machine: ${context.machine.cpu}, ${context.machine.cores} cores, ${context.machine.memoryGiB} GiB, ${context.machine.os}`);
md.push(`- load average (1/5/15 min) before: ${context.machine.loadAverageBefore}, after: ${context.machine.loadAverageAfter}`);
md.push(`- JDK: ${context.jdk.version} (${context.jdk.vm}); JMH ${context.jmh.version}: ${forksText(context.jmh.forks)}, ${context.jmh.warmupIterations}×${context.jmh.warmupTime} warm-up, ${context.jmh.measurementIterations}×${context.jmh.measurementTime} measured`);
md.push(`- Node.js: ${context.node.version} (${context.node.warmup} warm-up, ${context.node.iterations} measured invocations)`);
md.push('', 'Error: the 99.9% confidence half-width (JMH\'s), propagated into the ratios.', '');
md.push('## Targets (single-thread carrier unless named)', '');
md.push('| shape | loopkit | vs | ratio | floor | goal | floor met |', '|---|---|---|---|---|---|---|');
for (const c of checks) {
  md.push(`| ${c.shape} | ${c.of.split(':').slice(1).join(':')} | ${c.to ? c.to.split(':').slice(1).join(':') : '–'} | ${fmtR(c.ratio, c.error)} | ${c.floor}× | ${c.goal == null ? '–' : c.goal + '×'} | ${c.meetsFloor == null ? '–' : c.meetsFloor ? (c.meetsGoal ? 'yes (goal too)' : 'yes') : '**no**'} |`);
}
md.push('', '## Scores (ops/s)', '', '| shape | benchmark | subject | ops/s | ± error |', '|---|---|---|---:|---:|');
for (const r of rows.sort((x, y) => x.shape.localeCompare(y.shape) || y.score - x.score)) {
  md.push(`| ${r.shape} | ${r.benchmark} | ${r.subject} | ${fmt(r.score)} | ${fmt(r.error)} |`);
}
md.push('', '## Ratios (loopkit ÷ peer)', '', '| loopkit | peer | ratio |', '|---|---|---|');
for (const r of ratios) md.push(`| ${r.of} | ${r.to.split(':').pop()} | ${fmtR(r.value, r.error)} |`);
if (latenessSection) {
  const l = latenessSection;
  md.push('', '## D: timer lateness', '');
  md.push(`Shape D's churn (${l.operations.toLocaleString('en-US')} operations, ${l.roundsPerBatch} rounds per callback, ` +
    `delays 0–${l.maxDelayMillis} ms, 0 asked as 1 ms); each timer that fires records when it ran minus when it was scheduled plus its ` +
    `delay. ${l.warmupPasses} warm-up passes, then ${l.passes} measured, pooled, each after a collection (a ` +
    `collection within a pass makes every timer due in its pause late); ± is half the spread of the passes' p99s.`, '');
  md.push('| subject | timers | p50 ms | p99 ms | p99.9 ms | max ms | collections in the passes |',
    '|---|---:|---:|---:|---:|---:|---:|');
  for (const x of l.subjects) {
    md.push(`| ${x.subject} | ${x.timers.toLocaleString('en-US')} | ${x.p50Ms.toFixed(3)} | ${x.p99Ms.toFixed(3)}${x.p99ErrorMs == null ? '' : ` ± ${x.p99ErrorMs.toFixed(3)}`} | ${x.p999Ms.toFixed(3)} | ${x.maxMs.toFixed(3)} | ${x.collectionsInPasses} |`);
  }
  md.push('', '| check | figure | met |', '|---|---|---|');
  for (const c of l.checks) md.push(`| ${c.what} | ${c.value} | ${c.met ? 'yes' : '**no**'} |`);
}
if (httpSection) {
  const h = httpSection;
  md.push('', '## F: HTTP hello', '');
  md.push(`Server on core ${h.cores.server}, load on core ${h.cores.load}; ${h.wrk}, one thread, ` +
    `${h.warmupSeconds} s warm-up then ${h.seconds} s per run; ` +
    (h.throughput.some((t) => t.rounds && t.rounds.length > 1)
      ? `req/s is the median of ${h.throughput[0].rounds.length} rounds (a fresh process each, the servers in turn), ` +
        'with every round\'s figure. '
      : 'one run per figure: no error bar. ') +
    `Open loop: ${h.openLoop.connections} connections, ${h.openLoop.seconds} s per rate ` +
    `(${h.openLoop.rates}), latency from each request's intended send time.`, '');
  md.push('| subject | connections | req/s | rounds | errors (connect/read/write/timeout/non-2xx) | closed-loop p99 ms |',
    '|---|---:|---:|---|---|---:|');
  for (const t of h.throughput) {
    const e = t.errors;
    const rounds = (t.rounds || [t.requestsPerSecond]).map(fmt).join(', ');
    md.push(`| ${t.subject} | ${t.connections} | ${fmt(t.requestsPerSecond)} | ${rounds} | ${e.connect}/${e.read}/${e.write}/${e.timeout}/${e.non2xx} | ${t.closedLoopLatencyMs.p99 ?? '–'} |`);
  }
  md.push('', '| subject | rate/s | p50 ms | p99 ms | p99.9 ms | max ms | completed | dropped | errors | unfinished |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const l of h.latency) {
    md.push(`| ${l.subject} | ${l.rate} | ${l.p50Ms} | ${l.p99Ms} | ${l.p999Ms} | ${l.maxMs} | ${l.completed} | ${l.dropped} | ${l.errors} | ${l.unfinished} |`);
  }
  md.push('', '| subject | idle connections open | RSS MiB | RSS MiB before |', '|---|---:|---:|---:|');
  for (const i of h.idle) {
    md.push(`| ${i.subject} | ${i.open} of ${i.connections} | ${(i.rssKiB / 1024).toFixed(1)} | ${(i.rssBeforeKiB / 1024).toFixed(1)} |`);
  }
  md.push('', '| check | figure | met |', '|---|---|---|');
  for (const c of h.checks) md.push(`| ${c.what} | ${c.value} | ${c.met ? 'yes' : '**no**'} |`);
}
fs.writeFileSync(path.join(args.out, 'summary.md'), md.join('\n') + '\n');
process.stderr.write(`wrote ${path.join(args.out, 'summary.md')} and summary.json\n`);
