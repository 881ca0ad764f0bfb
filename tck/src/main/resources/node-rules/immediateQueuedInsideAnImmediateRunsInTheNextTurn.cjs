// an immediate queued inside an immediate runs in the next turn, after the other
// immediates already queued.
const log = (line) => console.log(line);

setImmediate(() => {
  log('immediate 1');
  setImmediate(() => log('immediate 4 (queued by immediate 1)'));
});
setImmediate(() => {
  log('immediate 2');
  setImmediate(() => log('immediate 5 (queued by immediate 2)'));
});
setImmediate(() => log('immediate 3'));
log('main end');
