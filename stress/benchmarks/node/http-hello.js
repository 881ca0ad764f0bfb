'use strict';
// Shape F's Node.js server: the same HTTP/1.1 "hello" as the Java peers (HelloServers.java):
// 200 OK, Content-Type: text/plain, Content-Length: 5, Date, body "hello", keep-alive with no
// idle timeout (so that the idle-connection RSS counts every connection). Node itself adds
// "Connection: keep-alive" to every HTTP/1.1 answer; nothing turns that off.
//
// Usage: node http-hello.js <port>   (prints "listening <port>", runs until killed)
const http = require('http');

const port = Number(process.argv[2] || 0);
const body = Buffer.from('hello');
const server = http.createServer((req, res) => {
  res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': body.length});
  res.end(body);
});
server.keepAliveTimeout = 0; // no idle timeout
server.headersTimeout = 0;
server.requestTimeout = 0;
server.maxConnections = 100000;
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
