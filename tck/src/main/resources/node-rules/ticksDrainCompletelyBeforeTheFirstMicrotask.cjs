// ticks drain completely (ticks added meanwhile included) before the first microtask.
const log = (line) => console.log(line);

queueMicrotask(() => log('microtask'));
process.nextTick(() => {
  log('tick 1');
  process.nextTick(() => {
    log('tick 3 (queued by tick 1)');
    process.nextTick(() => log('tick 4 (queued by tick 3)'));
  });
});
process.nextTick(() => log('tick 2'));
log('main end');
