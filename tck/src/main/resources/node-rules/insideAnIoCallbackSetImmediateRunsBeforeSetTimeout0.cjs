// inside an I/O callback, setImmediate runs before setTimeout(0).
const fs = require('fs');
const log = (line) => console.log(line);

fs.readFile(__filename, (err) => {
  if (err) throw err;
  log('io');
  setTimeout(() => log('timeout'), 0);
  setImmediate(() => log('immediate'));
});
log('main end');
