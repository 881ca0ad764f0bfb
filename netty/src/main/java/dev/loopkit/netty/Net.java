package dev.loopkit.netty;

import dev.loopkit.Loop;
import dev.loopkit.LoopGroup;
import dev.loopkit.Promise;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * TCP servers and clients in the shape of Node's {@code net} module, on a loopkit loop: every
 * callback runs on the loop, in its poll phase, followed by the microtask checkpoint.
 *
 * <pre>{@code
 * Loop.run(() -> {
 *   Loop loop = Loop.current();
 *   NetServer server = Net.createServer(loop, socket -> socket.onData(socket::write));
 *   server.listen(0).then(address -> {
 *     NetSocket client = Net.connect(loop, "127.0.0.1", address.getPort());
 *     client.onData(bytes -> {
 *       System.out.println(new String(bytes, UTF_8)); // hello
 *       client.end();
 *       server.close();
 *     });
 *     return client.write("hello");
 *   });
 * });
 * }</pre>
 *
 * <p>The loop must be one whose I/O is Netty's ({@link NettyLoops#eventLoop}); the first use
 * attaches it. TCP sockets are NIO's, on every carrier with threads of its own ({@code
 * single-thread}, {@code fork-join}, {@code virtual}); the {@code manual} carrier steps a loop in
 * virtual time, which real sockets do not follow, so they are not supported there. Netty's local
 * transport (in-process connections to a {@link io.netty.channel.local.LocalAddress}: {@link
 * NetServer#listen(io.netty.channel.local.LocalAddress)}, {@link #connect(Loop,
 * io.netty.channel.local.LocalAddress)}) works on every carrier, {@code manual} included, where a
 * test steps it deterministically.
 */
public final class Net {
  private Net() {}

  /**
   * A server whose connections go to {@code connectionListener} (Node's {@code
   * net.createServer(listener)}), with Node's default options. Call {@link NetServer#listen} to
   * start it. From any thread.
   */
  public static NetServer createServer(Loop loop, Consumer<NetSocket> connectionListener) {
    return createServer(loop, NetOptions.DEFAULTS, connectionListener);
  }

  /** As {@link #createServer(Loop, Consumer)}, with {@code options} for every connection. */
  public static NetServer createServer(
      Loop loop, NetOptions options, Consumer<NetSocket> connectionListener) {
    Objects.requireNonNull(loop, "loop");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(connectionListener, "connectionListener");
    checkRunning(loop, "createServer");
    return new NetServer(loop, () -> loop, options, connectionListener);
  }

  /**
   * A server on a {@link LoopGroup}: one of its loops accepts, and the connections are spread over
   * the group's loops in turn, each socket's callbacks running on its own loop (the connection
   * callback too). The server's own promises and callbacks belong to the accepting loop. From any
   * thread.
   */
  public static NetServer createServer(
      LoopGroup group, NetOptions options, Consumer<NetSocket> connectionListener) {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(connectionListener, "connectionListener");
    Loop acceptor = group.next();
    checkRunning(acceptor, "createServer");
    return new NetServer(acceptor, group::next, options, connectionListener);
  }

  /** As {@link #connect(Loop, String, int, NetOptions)} with Node's default options. */
  public static NetSocket connect(Loop loop, String host, int port) {
    return connect(loop, host, port, NetOptions.DEFAULTS);
  }

  /**
   * Opens a connection to {@code host}:{@code port} (Node's {@code net.connect}). From any thread.
   * The socket is returned at once; set its callbacks before the loop runs its next callback (or
   * from the calling callback): data that arrives before {@link NetSocket#onData} is set is kept,
   * not lost. The outcome is {@link NetSocket#connected()} and {@link NetSocket#onConnect}.
   *
   * @param host an IP address or {@code localhost}; other names are resolved on the loop's offload
   *     pool
   * @throws IllegalArgumentException if {@code port} is outside 1..65535
   * @throws RejectedExecutionException if the loop is shut down
   */
  public static NetSocket connect(Loop loop, String host, int port, NetOptions options) {
    Objects.requireNonNull(loop, "loop");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(options, "options");
    checkPort(port, 1, "port");
    checkRunning(loop, "connect");
    NetSocket socket = new NetSocket(loop, options, null);
    SSLContext context = options.tls();
    SslContext tls = context == null ? null : tlsContext(context, true);
    LoopIoEventLoop io = (LoopIoEventLoop) NettyLoops.eventLoop(loop);
    Runnable start =
        () ->
            resolve(loop, host, port)
                .then(
                    address -> {
                      open(io, socket, io.socketChannelType(), address, options, tls, host, port);
                      return null;
                    })
                .catchError(
                    e -> {
                      socket.connectFailed(e); // the name did not resolve
                      return null;
                    });
    onLoop(loop, io, start);
    return socket;
  }

  /** As {@link #connect(Loop, LocalAddress, NetOptions)} with Node's default options. */
  public static NetSocket connect(Loop loop, LocalAddress address) {
    return connect(loop, address, NetOptions.DEFAULTS);
  }

  /**
   * Opens a connection to a server listening on {@code address} of Netty's local transport ({@link
   * NetServer#listen(LocalAddress)}): an in-process connection without sockets, whose events all go
   * through the loops' poll phases. It behaves as a TCP connection, except that nothing is buffered
   * between the two ends ({@link NetSocket#write} never asks to wait) and the sockets have no IP
   * addresses ({@link NetSocket#remoteAddress()} is null). It is the transport that the {@code
   * manual} carrier runs deterministically, in virtual time: a test can step a client and a server
   * on one loop and see every event in a fixed order. From any thread; as {@link #connect(Loop,
   * String, int, NetOptions)} otherwise (a server not listening there is a failed connection).
   *
   * @throws IllegalArgumentException if {@code options} ask for TLS (not on the local transport)
   * @throws RejectedExecutionException if the loop is shut down
   */
  public static NetSocket connect(Loop loop, LocalAddress address, NetOptions options) {
    Objects.requireNonNull(loop, "loop");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(options, "options");
    checkNoTls(options);
    checkRunning(loop, "connect");
    NetSocket socket = new NetSocket(loop, options, null);
    LoopIoEventLoop io = (LoopIoEventLoop) NettyLoops.eventLoop(loop);
    // (always in a task: a refused connection fails at once, after the caller set its callbacks)
    io.execute(() -> open(io, socket, LocalChannel.class, address, options, null, null, 0));
    return socket;
  }

  private static void onLoop(Loop loop, LoopIoEventLoop io, Runnable start) {
    if (loop.inEventLoop()) {
      start.run();
    } else {
      io.execute(start);
    }
  }

  /** Registers a client channel of {@code type} for {@code socket} and connects it (loop). */
  private static void open(
      LoopIoEventLoop io,
      NetSocket socket,
      Class<? extends Channel> type,
      SocketAddress address,
      NetOptions options,
      @Nullable SslContext tls,
      @Nullable String host,
      int port) {
    Bootstrap b =
        new Bootstrap()
            .group(io)
            .channel(type)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(
                    Math.max(1, options.highWaterMark() / 2), options.highWaterMark()))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel c) {
                    socket.addHandlers(c, tls, host, port);
                  }
                });
    if (!(address instanceof LocalAddress)) {
      b.option(ChannelOption.ALLOW_HALF_CLOSURE, true); // (the local transport has no such option)
    }
    ChannelFuture registered = b.register();
    Channel ch = registered.channel();
    registered.addListener(
        r -> {
          if (!r.isSuccess()) {
            socket.connectFailed(Objects.requireNonNull(r.cause()));
            return;
          }
          ChannelPromise outcome = ch.newPromise(); // heard before a close
          outcome.addListener(
              done -> {
                if (!done.isSuccess()) {
                  socket.connectFailed(Objects.requireNonNull(done.cause()));
                }
              });
          socket.attach(ch);
          var unused = ch.connect(address, outcome);
        });
  }

  static void checkNoTls(NetOptions options) {
    if (options.tls() != null) {
      throw new IllegalArgumentException("options: TLS is not available on the local transport");
    }
  }

  // ---- shared checks and helpers
  // -----------------------------------------------------------------

  /** Netty's view of a JDK TLS context, for a client or a server (no client certificates). */
  static SslContext tlsContext(SSLContext context, boolean client) {
    return new JdkSslContext(
        context,
        client,
        null, // the context's own cipher suites
        IdentityCipherSuiteFilter.INSTANCE,
        null, // no ALPN
        ClientAuth.NONE,
        null, // the context's own protocols
        false);
  }

  static void checkPort(int port, int lowest, String name) {
    if (port < lowest || port > 65535) {
      throw new IllegalArgumentException(name + " must be in " + lowest + "..65535: " + port);
    }
  }

  static void checkRunning(Loop loop, String call) {
    if (loop.isShutdown()) {
      throw new RejectedExecutionException(
          call
              + ": the loop "
              + loop.name()
              + (loop.isTerminated() ? " has terminated" : " is shutting down"));
    }
  }

  /**
   * {@code host}:{@code port} as an address: at once for an IP address or {@code localhost}, on the
   * loop's offload pool for a name (a lookup blocks).
   */
  static Promise<InetSocketAddress> resolve(Loop loop, String host, int port) {
    byte[] ip = NetUtil.createByteArrayFromIpAddressString(host);
    try {
      if (ip != null) {
        return Promise.resolve(loop, new InetSocketAddress(InetAddress.getByAddress(ip), port));
      }
    } catch (UnknownHostException e) {
      return Promise.reject(loop, e);
    }
    if (host.equalsIgnoreCase("localhost")) {
      return Promise.resolve(loop, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }
    return loop.offload(() -> new InetSocketAddress(InetAddress.getByName(host), port));
  }
}
