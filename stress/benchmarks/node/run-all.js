'use strict';
// Runs every Node shape, each in a fresh process (as JMH forks), and prints one JSON document:
// {"node": version, "results": [...]}. Usage: node run-all.js > node.json
const {execFileSync} = require('child_process');
const path = require('path');

const SHAPES = ['immediate-chain', 'offload-round-trip', 'timer-churn', 'promise-chain',
  'microtask-chain'];
const results = [];
for (const shape of SHAPES) {
  const out = execFileSync(process.execPath, [path.join(__dirname, `${shape}.js`)],
    {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']});
  const result = JSON.parse(out.trim().split('\n').pop());
  process.stderr.write(`node ${shape}: ${result.score.toFixed(0)} ± ${result.error.toFixed(0)} ops/s\n`);
  results.push(result);
}
process.stdout.write(JSON.stringify({node: process.version, results}, null, 2) + '\n');
