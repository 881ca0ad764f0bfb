// inside a timer callback, setImmediate runs before a new setTimeout(0).
const log = (line) => console.log(line);

setTimeout(() => {
  log('timeout 1');
  setTimeout(() => log('timeout 2 (queued by timeout 1)'), 0);
  setImmediate(() => log('immediate (queued by timeout 1)'));
}, 0);
log('main end');
