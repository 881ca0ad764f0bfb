package dev.loopkit.http;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;

/**
 * HTTP/1.1 on a loop, Node-style: {@link #createServer} for a server whose handlers run on the
 * loop, {@code request} for a client call whose answer comes back on the loop as a promise. Both
 * run Netty's HTTP codec on the loop's own I/O (see {@code dev.loopkit.netty.NettyLoops}).
 *
 * <pre>{@code
 * Loop.run(() -> {
 *   Loop loop = Loop.current();
 *   Http.createServer(loop, (req, res) -> res.header("content-type", "text/plain").end("hi\n"))
 *       .listen(8080)
 *       .then(address -> Http.request(loop, "GET", URI.create("http://127.0.0.1:8080/")))
 *       ...
 * });
 * }</pre>
 */
public final class Http {
  private Http() {}

  /**
   * A server on {@code loop} that answers each request with {@code handler}; it does nothing until
   * {@link HttpServer#listen}.
   */
  public static HttpServer createServer(Loop loop, RequestHandler handler) {
    return new HttpServer(loop, handler);
  }

  // ---- shared by the server and the client ----

  /** A promise of {@code loop} that settles as Netty's {@code future} does. */
  static Promise<Channel> settle(Loop loop, ChannelFuture future) {
    Promise.Resolvers<Channel> r = Promise.withResolvers(loop);
    future.addListener(
        f -> {
          if (f.isSuccess()) {
            r.resolve(future.channel());
          } else {
            r.reject(f.cause());
          }
        });
    return r.promise();
  }

  /** Throws {@code t} as it is, checked or not (to hand it to the loop's error routing). */
  static void rethrow(Throwable t) {
    Http.<RuntimeException>throwAs(t);
  }

  @SuppressWarnings("unchecked") // the usual way to throw a checked exception unwrapped
  private static <T extends Throwable> void throwAs(Throwable t) throws T {
    throw (T) t;
  }
}
