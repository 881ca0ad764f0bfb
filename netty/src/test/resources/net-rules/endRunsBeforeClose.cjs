// A socket whose peer ends: its data, then end, then close (with no error).
const net = require('net');
const log = (s) => console.log(s);
const server = net.createServer((socket) => socket.end('bye'));
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1');
  client.on('data', (chunk) => log('data ' + chunk));
  client.on('end', () => log('end'));
  client.on('close', (hadError) => {
    log('close ' + hadError);
    server.close();
  });
});
