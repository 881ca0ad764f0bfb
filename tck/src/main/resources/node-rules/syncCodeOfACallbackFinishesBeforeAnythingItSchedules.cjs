// synchronous code of a callback finishes before anything it schedules.
const log = (line) => console.log(line);

log('main start');
process.nextTick(() => log('tick from main'));
queueMicrotask(() => log('microtask from main'));
setImmediate(() => {
  log('immediate start');
  setTimeout(() => log('timeout from immediate'), 0);
  process.nextTick(() => log('tick from immediate'));
  Promise.resolve('from immediate').then((v) => log('promise ' + v));
  log('immediate end');
});
log('main end');
