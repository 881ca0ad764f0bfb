'use strict';
// Shape E in Node: p = p.then(x => x + 1) 1,000,000 times from a pending promise, then resolve it;
// done when the last promise settles.
const {measure} = require('./harness');

function chain(links) {
  return new Promise((done) => {
    setImmediate(() => {
      let resolveHead;
      let p = new Promise((resolve) => (resolveHead = resolve));
      for (let i = 0; i < links; i++) p = p.then((x) => x + 1);
      p.then((v) => {
        if (v !== links) throw new Error(`chain ended at ${v}, expected ${links}`);
        done();
      });
      resolveHead(0);
    });
  });
}

measure('promise-chain', 1_000_000, chain);
