// nextTick before promise reactions and queueMicrotask (which share one FIFO).
const log = (line) => console.log(line);

Promise.resolve(1).then((v) => log('promise ' + v));
queueMicrotask(() => log('microtask'));
process.nextTick(() => log('tick 1'));
Promise.resolve(2).then((v) => log('promise ' + v));
process.nextTick(() => log('tick 2'));
log('main end');
