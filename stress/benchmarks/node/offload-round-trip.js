'use strict';
// Shape C in Node: from the loop, a trivial task on the libuv thread pool (crypto.randomFill of 8
// bytes) and its callback back on the loop, 100,000 times in sequence.
const crypto = require('crypto');
const {measure} = require('./harness');

function roundTrips(n) {
  return new Promise((resolve, reject) => {
    const buf = Buffer.alloc(8);
    let remaining = n;
    function back(err) {
      if (err) return reject(err);
      if (--remaining > 0) crypto.randomFill(buf, back);
      else resolve();
    }
    setImmediate(() => crypto.randomFill(buf, back));
  });
}

measure('offload-round-trip', 100_000, roundTrips);
