// ticks and microtasks run before any timer or immediate, even ones scheduled earlier.
const log = (line) => console.log(line);

setImmediate(() => {
  log('immediate');
  setTimeout(() => log('timeout'), 0);
  queueMicrotask(() => log('microtask from immediate'));
  process.nextTick(() => log('tick from immediate'));
});
Promise.resolve('from main').then((v) => log('promise ' + v));
process.nextTick(() => log('tick from main'));
log('main end');
