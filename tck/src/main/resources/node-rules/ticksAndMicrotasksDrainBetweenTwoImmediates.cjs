// ticks and microtasks drain between two immediates.
const log = (line) => console.log(line);

setImmediate(() => {
  log('immediate 1');
  Promise.resolve().then(() => log('promise from immediate 1'));
  process.nextTick(() => log('tick from immediate 1'));
});
setImmediate(() => {
  log('immediate 2');
  queueMicrotask(() => log('microtask from immediate 2'));
  process.nextTick(() => log('tick from immediate 2'));
});
log('main end');
