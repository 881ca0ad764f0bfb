// microtasks drain completely (ones added meanwhile included) before ticks queued from
// inside them; then the checkpoint repeats while ticks remain.
const log = (line) => console.log(line);

queueMicrotask(() => {
  log('microtask 1');
  process.nextTick(() => {
    log('tick (queued by microtask 1)');
    queueMicrotask(() => log('microtask 5 (queued by the tick)'));
  });
  queueMicrotask(() => log('microtask 3 (queued by microtask 1)'));
});
queueMicrotask(() => {
  log('microtask 2');
  Promise.resolve().then(() => log('microtask 4 (promise reaction queued by microtask 2)'));
});
log('main end');
