// A server's connection callback (and its ticks) runs before its client's connect callback.
const net = require('net');
const log = (s) => console.log(s);
const server = net.createServer((socket) => {
  log('server connection');
  process.nextTick(() => log('tick after connection'));
  socket.end();
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    log('client connect');
    process.nextTick(() => log('tick after connect'));
  });
  client.on('end', () => log('client end'));
  client.on('close', () => { log('client close'); server.close(); });
});
