/**
 * HTTP/1.1 on a loopkit loop, Node-style: {@link dev.loopkit.http.Http#createServer} and an HTTP
 * client, both over Netty's HTTP codec on the loop's own I/O, every handler and every answer a
 * callback of the loop.
 */
@NullMarked
package dev.loopkit.http;

import org.jspecify.annotations.NullMarked;
