// Inside an I/O callback (a socket's data), setImmediate runs before setTimeout(0).
const net = require('net');
const log = (s) => console.log(s);
const server = net.createServer((socket) => {
  socket.on('data', (chunk) => {
    log('data ' + chunk);
    setTimeout(() => log('timeout from data'), 0);
    setImmediate(() => log('immediate from data'));
    socket.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => client.write('x'));
  client.on('data', () => {});
  client.on('close', () => server.close());
});
