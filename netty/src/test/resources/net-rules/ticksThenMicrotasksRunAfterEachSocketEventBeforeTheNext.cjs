// After each socket event, its nextTick queue and then its microtasks drain before the next event.
const net = require('net');
const log = (s) => console.log(s);
const traced = (name) => () => {
  log(name);
  Promise.resolve().then(() => log('microtask after ' + name));
  process.nextTick(() => log('tick after ' + name));
};
const server = net.createServer((socket) => {
  socket.on('data', traced('data'));
  socket.on('end', traced('end'));
  socket.on('close', () => {
    log('close');
    server.close();
  });
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => client.end('x'));
  client.on('data', () => {});
});
