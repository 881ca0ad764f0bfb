// ticks and microtasks drain between two timer callbacks.
const log = (line) => console.log(line);

setTimeout(() => {
  log('timeout 1');
  Promise.resolve().then(() => log('promise from timeout 1'));
  process.nextTick(() => log('tick from timeout 1'));
}, 0);
setTimeout(() => {
  log('timeout 2');
  queueMicrotask(() => log('microtask from timeout 2'));
  process.nextTick(() => log('tick from timeout 2'));
}, 0);
log('main end');
