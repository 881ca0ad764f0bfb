'use strict';
// Shape E in Node: a queueMicrotask callback queues the next, 1,000,000 links.
const {measure} = require('./harness');

function chain(links) {
  return new Promise((resolve) => {
    let remaining = links;
    function link() {
      if (--remaining > 0) queueMicrotask(link);
      else setImmediate(resolve); // settle outside the chain, as the Java side's latch does
    }
    setImmediate(() => queueMicrotask(link));
  });
}

measure('microtask-chain', 1_000_000, chain);
