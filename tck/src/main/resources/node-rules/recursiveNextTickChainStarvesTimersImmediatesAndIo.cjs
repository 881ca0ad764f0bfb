// a recursive nextTick chain starves timers, immediates and I/O (as Node). The chain runs
// at least 10,000 ticks and at least 20 ms, so the timer is due and the second read has had time
// to complete while it runs; none of them runs before the chain ends.
const fs = require('fs');
const log = (line) => console.log(line);

fs.readFile(__filename, (err) => {
  if (err) throw err;
  log('io');
  const start = Date.now();
  fs.readFile(__filename, () => log('second io'));
  setTimeout(() => log('timeout'), 0);
  setImmediate(() => log('immediate'));
  let ticks = 0;
  const tick = () => {
    ticks++;
    if (ticks < 10000 || Date.now() - start < 20) {
      process.nextTick(tick);
    } else {
      log('tick chain ended after at least 10000 ticks');
    }
  };
  process.nextTick(tick);
});
log('main end');
