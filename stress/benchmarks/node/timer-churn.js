'use strict';
// Shape D in Node: rounds of "two setTimeout, one clearTimeout" (three operations), 1,500,000
// operations, delays 0-10 ms (pseudo-random, fixed seed), 1,000 rounds per setImmediate batch as
// the Java side; measured until every uncancelled timer has fired.
const {measure} = require('./harness');

const ROUNDS_PER_BATCH = 1000;
const MAX_DELAY = 10;

function delays(count) {
  // xorshift32, fixed seed: the same delays every invocation.
  const d = new Uint8Array(count);
  let x = 6;
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    d[i] = x % (MAX_DELAY + 1);
  }
  return d;
}

let cached;
function churn(operations) {
  const rounds = Math.floor(operations / 3);
  if (!cached || cached.length !== rounds * 2) cached = delays(rounds * 2);
  const d = cached;
  return new Promise((resolve) => {
    let fired = 0;
    let round = 0;
    function fire() {
      if (++fired === rounds) resolve();
    }
    function batch() {
      const end = Math.min(rounds, round + ROUNDS_PER_BATCH);
      for (let r = round; r < end; r++) {
        const cancelled = setTimeout(fire, d[2 * r]);
        setTimeout(fire, d[2 * r + 1]);
        clearTimeout(cancelled);
      }
      round = end;
      if (end < rounds) setImmediate(batch);
    }
    setImmediate(batch);
  });
}

measure('timer-churn', 1_500_000, churn);
