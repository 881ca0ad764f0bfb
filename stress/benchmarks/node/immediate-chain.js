'use strict';
// Shape A in Node: a setImmediate callback schedules the next, 1,000,000 hops.
const {measure} = require('./harness');

function chain(hops) {
  return new Promise((resolve) => {
    let remaining = hops;
    function hop() {
      if (--remaining > 0) setImmediate(hop);
      else resolve();
    }
    setImmediate(hop);
  });
}

measure('immediate-chain', 1_000_000, chain);
