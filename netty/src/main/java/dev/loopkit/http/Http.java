package dev.loopkit.http;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HTTP/1.1 on a loop, Node-style: {@link #createServer} for a server whose handlers run on the
 * loop, {@link #request} for a client call whose answer comes back on the loop as a promise. Both
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
  private static final Map<Loop, Agent> AGENTS = new ConcurrentHashMap<>();

  private Http() {}

  /**
   * A server on {@code loop} that answers each request with {@code handler}; it does nothing until
   * {@link HttpServer#listen}.
   */
  public static HttpServer createServer(Loop loop, RequestHandler handler) {
    return new HttpServer(loop, handler);
  }

  /**
   * The loop's own {@link Agent}: one per loop, made on first use, shared by every {@link #request}
   * on that loop.
   */
  public static Agent agent(Loop loop) {
    Objects.requireNonNull(loop, "loop");
    Agent agent = AGENTS.get(loop);
    if (agent != null) {
      return agent;
    }
    Agent made = Agent.create(loop);
    Agent prior = AGENTS.putIfAbsent(loop, made);
    if (prior != null) {
      return prior;
    }
    var unused = loop.terminationFuture().whenComplete((v, e) -> AGENTS.remove(loop, made));
    return made;
  }

  /**
   * Sends {@code method} {@code uri} through the loop's {@link #agent} and gives its whole answer
   * as a promise of the loop; see {@link Agent#request(String, URI, Map, byte[])}.
   */
  public static Promise<ClientResponse> request(Loop loop, String method, URI uri) {
    return agent(loop).request(method, uri);
  }

  /**
   * Sends {@code method} {@code uri} with {@code body}; see {@link #request(Loop, String, URI)}.
   */
  public static Promise<ClientResponse> request(Loop loop, String method, URI uri, byte[] body) {
    return agent(loop).request(method, uri, body);
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
