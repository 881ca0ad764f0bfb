// Data that arrives after pause() is not delivered until resume().
const net = require('net');
const log = (s) => console.log(s);
const server = net.createServer((socket) => {
  socket.on('data', (chunk) => {
    log('data ' + chunk);
    if (String(chunk) === 'a') {
      socket.pause();
      socket.write('ok'); // the client sends b now
      setTimeout(() => {
        log('resume');
        socket.resume();
      }, 100);
    } else {
      socket.end();
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => client.write('a'));
  client.on('data', () => client.write('b'));
  client.on('close', () => server.close());
});
