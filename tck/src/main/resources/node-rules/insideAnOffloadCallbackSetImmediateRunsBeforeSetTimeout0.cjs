// inside an offload callback (work done on libuv's threadpool), setImmediate runs before
// setTimeout(0).
const crypto = require('crypto');
const log = (line) => console.log(line);

crypto.pbkdf2('secret', 'salt', 1000, 32, 'sha256', (err, key) => {
  if (err) throw err;
  log('offload: ' + key.length + ' bytes');
  setTimeout(() => log('timeout'), 0);
  setImmediate(() => log('immediate'));
});
log('main end');
