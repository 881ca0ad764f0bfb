package dev.loopkit.http;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import dev.loopkit.netty.NettyLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 server on a loop (Node's {@code http.Server}), made by {@link Http#createServer}:
 * Netty's HTTP codec on the loop's own I/O, every request handed to the {@link RequestHandler} as a
 * poll-phase callback of the loop followed by its microtask checkpoint. Nothing blocks: a slow or
 * half-sent request holds no thread, so it never delays another.
 *
 * <p>What it does for every request: keeps the connection open for the next one (HTTP/1.1's
 * keep-alive), answers pipelined requests in the order they came; refuses a request line longer
 * than {@link #maxLineLength} (414), headers larger than {@link #maxHeaderSize} (431), a body
 * larger than {@link #maxBodySize} (413), a malformed request (400) and an expectation other than
 * {@code 100-continue} (417), each with a short text, closing the connection; answers {@code
 * Expect: 100-continue} with {@code 100 Continue}; closes a connection whose request has not fully
 * arrived within {@link #readTimeout} with 408 (an idle keep-alive connection, quietly). A handler
 * that throws gets a 500 answer, and the exception goes to the loop's uncaught-error handler.
 *
 * <p>Lifetime: a listening server and its open connections hold a program-mode loop open, as in
 * Node, but only while the loop accepts work: a loop that is {@code shutdown()} (or {@code
 * close()}d) ends once its other work is done, whatever peers keep open, and its end closes the
 * listening socket and every connection; a request whose answer is still owed then is cut off (its
 * client sees the connection close). To let requests in flight finish, {@link #close} the server
 * first and shut the loop down when its promise settles. {@code shutdownNow()}, a graceful shutdown
 * past its timeout, or a fatal error closes everything at once.
 *
 * <p>Settings are made before {@link #listen}; the server's methods may be called from any thread.
 */
public final class HttpServer {
  private final Loop loop;
  private final RequestHandler handler;
  private int maxLineLength = 8 * 1024;
  private int maxHeaderSize = 16 * 1024;
  private long maxBodySize = 10L * 1024 * 1024;
  private Duration readTimeout = Duration.ofSeconds(10);

  // loop, once listening
  private final Set<ServerConnection> connections = new LinkedHashSet<>();
  private volatile boolean listening;
  private volatile boolean bindPending;
  private volatile int
      openConnections; // connections.size(), for other threads (written on the loop)
  private @Nullable Channel serverChannel;
  private volatile Promise.@Nullable Resolvers<@Nullable Void> closed;

  HttpServer(Loop loop, RequestHandler handler) {
    this.loop = Objects.requireNonNull(loop, "loop");
    this.handler = Objects.requireNonNull(handler, "handler");
    var unused =
        loop.terminationFuture()
            .whenComplete(
                (v, e) -> {
                  Promise.@Nullable Resolvers<@Nullable Void> c = closed;
                  if (c != null) {
                    c.resolve(null); // the loop's end closed everything
                  }
                });
  }

  // ---- settings ----

  /**
   * The longest request line (method, target, version) accepted; default 8 KiB.
   *
   * @throws IllegalArgumentException if {@code bytes} is below 64
   */
  public HttpServer maxLineLength(int bytes) {
    checkNotListening();
    if (bytes < 64) {
      throw new IllegalArgumentException("maxLineLength: " + bytes + " is not allowed; 64 or more");
    }
    maxLineLength = bytes;
    return this;
  }

  /**
   * The largest header block accepted, in bytes; default 16 KiB.
   *
   * @throws IllegalArgumentException if {@code bytes} is below 64
   */
  public HttpServer maxHeaderSize(int bytes) {
    checkNotListening();
    if (bytes < 64) {
      throw new IllegalArgumentException("maxHeaderSize: " + bytes + " is not allowed; 64 or more");
    }
    maxHeaderSize = bytes;
    return this;
  }

  /**
   * The largest request body accepted, in bytes; default 10 MiB.
   *
   * @throws IllegalArgumentException if {@code bytes} is negative
   */
  public HttpServer maxBodySize(long bytes) {
    checkNotListening();
    if (bytes < 0) {
      throw new IllegalArgumentException("maxBodySize: " + bytes + " is not allowed; 0 or more");
    }
    maxBodySize = bytes;
    return this;
  }

  /**
   * How long a connection may take to send a whole request, counted from when the server starts
   * waiting for it (the connection's start, or the end of the previous answer); default 10 s.
   *
   * @throws IllegalArgumentException if {@code timeout} is below 1 ms or above 2³¹−1 ms
   */
  public HttpServer readTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    checkNotListening();
    if (timeout.toMillis() < 1 || timeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "readTimeout: " + timeout + " is not allowed; 1 ms to 2^31-1 ms");
    }
    readTimeout = timeout;
    return this;
  }

  // ---- listening ----

  /**
   * Listens on {@code port} of the loopback address (0: a free port the system picks).
   *
   * @return a promise of the loop: the address it listens on, or rejected if it cannot bind
   * @throws IllegalArgumentException if {@code port} is not 0 to 65535
   * @throws IllegalStateException if it listens already, or the loop is shutting down or stopped
   */
  public Promise<InetSocketAddress> listen(int port) {
    checkPort(port);
    return listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
  }

  /**
   * Listens on {@code address} (for example all interfaces: {@code new InetSocketAddress(8080)}).
   *
   * @see #listen(int)
   */
  public Promise<InetSocketAddress> listen(InetSocketAddress address) {
    Objects.requireNonNull(address, "address");
    checkPort(address.getPort());
    synchronized (this) {
      if (listening) {
        throw new IllegalStateException("listen: the server listens already");
      }
      if (loop.isShutdown()) {
        throw new IllegalStateException(
            "listen: the loop " + loop.name() + " is shutting down or stopped; no new server");
      }
      listening = true;
    }
    IoEventLoop io = NettyLoops.eventLoop(loop);
    var bind =
        new ServerBootstrap()
            .group(io)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.AUTO_READ, false)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ServerConnection c = new ServerConnection(HttpServer.this);
                    ch.pipeline()
                        .addLast(c.byteWatch)
                        // a decoder and an encoder, not HttpServerCodec: the connection knows
                        // when it answers HEAD (the encoder then writes no body framing), so the
                        // codec's queue of request methods and its combined handler's extra hop
                        // are not needed
                        .addLast(
                            new HttpRequestDecoder(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(maxLineLength)
                                    .setMaxHeaderSize(maxHeaderSize)
                                    .setMaxChunkSize(64 * 1024)))
                        .addLast(
                            new HttpResponseEncoder() {
                              @Override
                              protected boolean isContentAlwaysEmpty(HttpResponse msg) {
                                return c.answeringHead() || super.isContentAlwaysEmpty(msg);
                              }
                            })
                        .addLast(c);
                  }
                })
            .bind(address);
    bindPending = true;
    Promise<Channel> bound = Http.settle(loop, bind);
    var unused =
        bound.handle(
            (ch, failure) -> {
              bindPending = false;
              if (ch != null) {
                serverChannel = ch;
                ch.closeFuture().addListener(f -> settleIfClosed());
                if (closed != null) {
                  var unusedClose = ch.close(); // close() came first
                }
              }
              settleIfClosed();
              return null;
            });
    return bound.then(ch -> (InetSocketAddress) ch.localAddress());
  }

  /**
   * Stops accepting connections, closes the idle ones, lets each request in flight finish (its
   * answer says {@code Connection: close}) and closes its connection after the answer. Any thread;
   * the same promise on every call.
   *
   * @return a promise of the loop, resolved when the listening socket and every connection are
   *     closed (at once if the server never listened; at the latest when the loop ends)
   */
  public Promise<@Nullable Void> close() {
    synchronized (this) {
      if (closed != null) {
        return closed.promise();
      }
      closed = Promise.withResolvers(loop);
    }
    Promise.Resolvers<@Nullable Void> done = Objects.requireNonNull(closed);
    if (!listening || loop.isTerminated()) { // (the loop's end closed everything)
      done.resolve(null);
      return done.promise();
    }
    onLoop(
        () -> {
          if (serverChannel != null) {
            var unused = serverChannel.close();
          }
          for (ServerConnection c : List.copyOf(connections)) {
            c.closeWhenIdle();
          }
          settleIfClosed();
        });
    return done.promise();
  }

  /** Closes every connection now, requests in flight included (after {@link #close}, say). */
  public void closeAllConnections() {
    onLoop(() -> List.copyOf(connections).forEach(ServerConnection::closeNow));
  }

  /** The number of open connections (any thread). */
  public int connections() {
    return openConnections;
  }

  private void onLoop(Runnable action) {
    if (loop.inEventLoop()) {
      action.run();
    } else if (!loop.isTerminated()) {
      NettyLoops.eventLoop(loop).execute(action);
    }
  }

  // ---- from the connections (loop) ----

  void connected(ServerConnection c) {
    connections.add(c);
    openConnections = connections.size();
    if (closed != null) {
      c.closeWhenIdle();
    }
  }

  void disconnected(ServerConnection c) {
    connections.remove(c);
    openConnections = connections.size();
    settleIfClosed();
  }

  private void settleIfClosed() {
    if (closed != null
        && !bindPending
        && connections.isEmpty()
        && (serverChannel == null || !serverChannel.isOpen())) {
      Objects.requireNonNull(closed).resolve(null);
    }
  }

  boolean closing() {
    return closed != null;
  }

  void dispatch(ServerRequest req, ServerResponse res, ServerConnection c) {
    try {
      handler.handle(req, res);
    } catch (Throwable t) {
      c.handlerFailed();
      loop.queueMicrotask(() -> Http.rethrow(t)); // to the loop's uncaught-error handler
    }
  }

  Loop loop() {
    return loop;
  }

  long maxBodySize() {
    return maxBodySize;
  }

  Duration readTimeout() {
    return readTimeout;
  }

  private void checkNotListening() {
    if (listening) {
      throw new IllegalStateException("the server listens already: settings come before listen");
    }
  }

  private static void checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " is not allowed; 0 to 65535");
    }
  }

  @Override
  public String toString() {
    Channel ch = serverChannel;
    return "HttpServer[" + (ch == null ? "not listening" : ch.localAddress()) + " on " + loop + "]";
  }
}
