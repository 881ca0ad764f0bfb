package dev.loopkit.netty;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * A TCP server in Node's shape ({@code net.Server}), on a loop: made by {@link Net#createServer},
 * started by {@link #listen}. Each accepted connection is a {@link NetSocket} handed to the
 * connection callbacks.
 *
 * <p><b>Thread and phase.</b> Its callbacks run on its loop, in the poll phase, each a callback of
 * its own followed by the microtask checkpoint; a callback that throws goes to the loop's
 * uncaught-error handler. A server made on a {@link dev.loopkit.LoopGroup} accepts on one of the
 * group's loops ({@link #loop()}, which owns its promises) and hands each connection to the next
 * loop of the group, where that socket's callbacks, its connection callback included, run. {@link
 * #listen}, {@link #close()}, {@link #closeAllConnections()} and the setters may be called from any
 * thread (off the loop, the work is handed to it).
 *
 * <p><b>Limits.</b> At most {@link #maxConnections()} connections are open at once (10,000 unless
 * set); a connection accepted past that is closed at once, without reaching the callbacks. With TLS
 * ({@link NetOptions#tls()}), a connection reaches them once its handshake is done; one whose
 * handshake fails is closed without reaching them.
 *
 * <p><b>The loop's stop.</b> A listening server holds a program-mode loop open, as in Node. When
 * the loop stops (after {@code shutdownNow()}, a graceful timeout, a fatal error, or once {@code
 * shutdown()} has nothing left but I/O), its I/O is closed: the server stops listening, its
 * connections are closed without their callbacks, and a pending {@link #listen} or {@link #close()}
 * promise is settled (rejected, or fulfilled for a close); after the loop's end, {@link #close()}
 * answers a fulfilled promise at once. On a group, each loop's stop closes its own connections.
 */
public final class NetServer {
  /** The default of {@link #maxConnections()}. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

  private final Loop loop;
  private final LoopIoEventLoop io;
  private final NetOptions options;
  private final @Nullable SslContext tls;
  private final AtomicBoolean listenCalled = new AtomicBoolean();
  private final AtomicBoolean closeCalled = new AtomicBoolean();
  private final Promise.Resolvers<@Nullable Void> closedPromise;
  private volatile @Nullable Consumer<NetSocket> connectionCallback;
  private volatile @Nullable Consumer<NetSocket> onConnection;
  private volatile @Nullable Consumer<Throwable> onError;
  private volatile int maxConnections = DEFAULT_MAX_CONNECTIONS;
  private volatile @Nullable InetSocketAddress address;

  // the loop's
  private volatile @Nullable Channel listening;
  private volatile boolean listeningClosed;
  private volatile boolean bindSettled;
  private final java.util.function.Supplier<Loop> connectionLoops; // where accepted sockets go
  private final AtomicInteger open = new AtomicInteger(); // accepted and not yet closed
  private final Set<NetSocket> connections = ConcurrentHashMap.newKeySet();

  NetServer(
      Loop loop,
      java.util.function.Supplier<Loop> connectionLoops,
      NetOptions options,
      @Nullable Consumer<NetSocket> connectionCallback) {
    this.loop = loop;
    this.connectionLoops = connectionLoops;
    this.io = (LoopIoEventLoop) NettyLoops.eventLoop(loop);
    this.options = options;
    this.connectionCallback = connectionCallback;
    this.closedPromise = Promise.withResolvers(loop);
    SSLContext context = options.tls();
    this.tls = context == null ? null : Net.tlsContext(context, false);
    var unused =
        loop.terminationFuture()
            .whenComplete(
                (v, e) -> {
                  if (closeCalled.get()) {
                    closedPromise.resolve(null); // the loop's end closed what was left
                  }
                });
  }

  /** Listens on {@code port} of the loopback address; as {@link #listen(String, int)}. */
  public Promise<InetSocketAddress> listen(int port) {
    return listen(InetAddress.getLoopbackAddress().getHostAddress(), port);
  }

  /**
   * Listens on {@code host} and {@code port} (0: a free port the system picks). From any thread.
   *
   * @param host an IP address ({@code 0.0.0.0} or {@code ::} for every interface), or {@code
   *     localhost}; other names are resolved on the loop's offload pool
   * @return a promise of the bound address; rejected with the cause if binding fails (the error
   *     callback, if set when {@code listen} is called, runs too, and the rejection counts as
   *     handled)
   * @throws IllegalArgumentException if {@code port} is outside 0..65535
   * @throws IllegalStateException if {@code listen} was called on this server before
   * @throws java.util.concurrent.RejectedExecutionException if the loop is shut down
   */
  public Promise<InetSocketAddress> listen(String host, int port) {
    Objects.requireNonNull(host, "host");
    Net.checkPort(port, 0, "port");
    Net.checkRunning(loop, "listen");
    if (!listenCalled.compareAndSet(false, true)) {
      throw new IllegalStateException("listen was called on this server already");
    }
    return startListening(
        () ->
            Net.resolve(loop, host, port)
                .thenCompose(at -> bind(at, io.serverChannelType()))
                .then(a -> (InetSocketAddress) a));
  }

  /**
   * Listens on {@code address} of Netty's local transport: in-process connections, made by {@link
   * Net#connect(Loop, LocalAddress)}, that run on every carrier, {@code manual} included (there a
   * test steps server and clients deterministically, in virtual time). {@link LocalAddress#ANY}
   * picks a fresh address. The server is the same otherwise; its {@link #address()} stays null (the
   * promise gives the bound address). From any thread.
   *
   * @return a promise of the bound address; rejected with the cause if binding fails (the address
   *     is taken, say), as {@link #listen(String, int)}'s
   * @throws IllegalArgumentException if the server's options ask for TLS (not on the local
   *     transport)
   * @throws IllegalStateException if {@code listen} was called on this server before
   * @throws java.util.concurrent.RejectedExecutionException if the loop is shut down
   */
  public Promise<LocalAddress> listen(LocalAddress address) {
    Objects.requireNonNull(address, "address");
    Net.checkNoTls(options);
    Net.checkRunning(loop, "listen");
    if (!listenCalled.compareAndSet(false, true)) {
      throw new IllegalStateException("listen was called on this server already");
    }
    return startListening(
        () -> bind(address, LocalServerChannel.class).then(a -> (LocalAddress) a));
  }

  /**
   * Starts {@code binding} once the listen's own reactions (the error callback, the close that may
   * wait for it) are attached: called off the loop, reactions reach the loop in order with the
   * settlements, so a bind that failed at once could otherwise be reported as unhandled first.
   */
  private <A> Promise<A> startListening(java.util.function.Supplier<Promise<A>> binding) {
    Promise.Resolvers<@Nullable Void> go = Promise.withResolvers(loop);
    Promise<A> bound = go.promise().thenCompose(v -> binding.get());
    Promise<A> result = settle(bound);
    go.resolve(null);
    return result;
  }

  /** Settles a listen: the error callback, the close that may wait for it. */
  private <A> Promise<A> settle(Promise<A> bound) {
    Consumer<Throwable> errors = onError;
    var unused =
        bound.handle(
            (a, e) -> {
              bindSettled = true;
              if (e != null && errors != null) {
                errors.accept(e);
              }
              maybeClosed();
              return null;
            });
    Promise<A> result = bound.then(a -> a);
    if (errors != null) {
      markHandled(result); // the error callback handles a failure
    }
    return result;
  }

  private static void markHandled(Promise<?> p) {
    var unused = p.catchError(e -> null);
  }

  private Promise<SocketAddress> bind(SocketAddress at, Class<? extends ServerChannel> type) {
    ChannelFuture f =
        new ServerBootstrap()
            .group(io)
            .channel(type)
            .handler(new Acceptor())
            .childHandler(new ChannelInboundHandlerAdapter()) // (unused: Acceptor registers)
            .bind(at);
    return NettyPromises.from(loop, f)
        .then(
            ch -> {
              listening = ch;
              var unused = ch.closeFuture().addListener(c -> listeningClosed());
              SocketAddress a = ch.localAddress();
              address = a instanceof InetSocketAddress inet ? inet : null;
              if (closeCalled.get()) {
                NetSocket.close(ch); // closed while binding
              }
              return a;
            });
  }

  /** The bound address, or null while not listening (or listening on the local transport). */
  public @Nullable InetSocketAddress address() {
    return address;
  }

  /**
   * Sets the connection callback (Node's {@code 'connection'} event), after the one given first.
   */
  public NetServer onConnection(Consumer<NetSocket> callback) {
    onConnection = Objects.requireNonNull(callback, "callback");
    return this;
  }

  /** Sets the error callback: a failed {@link #listen} (its promise is rejected too). */
  public NetServer onError(Consumer<Throwable> callback) {
    onError = Objects.requireNonNull(callback, "callback");
    return this;
  }

  /** At most this many connections open at once; more are closed when accepted. */
  public int maxConnections() {
    return maxConnections;
  }

  /**
   * Sets the connection limit (0 refuses every connection).
   *
   * @throws IllegalArgumentException if {@code max} is negative
   */
  public NetServer maxConnections(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("maxConnections must be 0 or more: " + max);
    }
    maxConnections = max;
    return this;
  }

  /** The connections open now (accepted and not yet closed), from any thread. */
  public int connectionCount() {
    return open.get();
  }

  /**
   * Stops accepting connections and lets the open ones finish (Node's {@code server.close()}). From
   * any thread; a second call returns the same promise.
   *
   * @return a promise fulfilled once the server stopped listening and its last connection closed
   * @throws IllegalStateException if {@link #listen} was never called
   */
  public Promise<@Nullable Void> close() {
    if (!listenCalled.get()) {
      throw new IllegalStateException("the server is not listening: nothing to close");
    }
    if (closeCalled.compareAndSet(false, true)) {
      if (loop.isTerminated()) {
        closedPromise.resolve(null); // the loop's end closed the server and its connections
      }
      onLoop(
          () -> {
            if (listening != null) {
              var unused = listening.close();
            } // else: closed as soon as bound; a listen that failed counts as closed
            maybeClosed();
          });
    }
    return closedPromise.promise();
  }

  /** As {@link #close()}, and destroys every open connection at once. */
  public Promise<@Nullable Void> closeAllConnections() {
    Promise<@Nullable Void> p = close();
    onLoop(
        () -> {
          for (NetSocket s : new ArrayList<>(connections)) {
            if (s.loop().inEventLoop()) {
              s.destroy();
            } else {
              try {
                s.loop().execute(s::destroy);
              } catch (RejectedExecutionException e) {
                // its loop ended: its end closed the socket
              }
            }
          }
        });
    return p;
  }

  /** The loop this server's callbacks run on. */
  public Loop loop() {
    return loop;
  }

  @Override
  public String toString() {
    return "NetServer[" + (address == null ? "not listening" : address) + "]";
  }

  // ---- the inside (loop) -----------------------------------------------------------------------

  /** Runs {@code r} on the loop; after its end, not at all (the end closed everything). */
  private void onLoop(Runnable r) {
    if (loop.inEventLoop()) {
      r.run();
    } else if (!loop.isTerminated()) {
      try {
        io.execute(r);
      } catch (RejectedExecutionException e) {
        // it terminated meanwhile: the termination hook settles the close
      }
    }
  }

  /**
   * The listening channel's first handler (the server's loop): refuses a connection past the limit
   * or after close(), and registers the others with the loop they go to (the server's, or the next
   * of its group's), where accept makes their sockets. It passes nothing on.
   */
  private final class Acceptor extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel child = (Channel) msg;
      if (closeCalled.get() || open.get() >= maxConnections) {
        refuse(child);
        return;
      }
      open.incrementAndGet();
      Loop target = connectionLoops.get();
      child.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      child
          .config()
          .setOption(
              ChannelOption.WRITE_BUFFER_WATER_MARK,
              new WriteBufferWaterMark(
                  Math.max(1, options.highWaterMark() / 2), options.highWaterMark()));
      child
          .pipeline()
          .addLast(
              new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                  accept(ch, target);
                }
              });
      ChannelPromise registered = child.newPromise();
      registered.addListener(
          r -> {
            if (!r.isSuccess()) { // its loop has stopped
              child.unsafe().closeForcibly();
              open.decrementAndGet();
              maybeClosed();
            }
          });
      try {
        child.unsafe().register(NettyLoops.eventLoop(target), registered);
      } catch (RuntimeException e) {
        registered.tryFailure(e);
      }
    }
  }

  /**
   * Closes an accepted connection that is refused. A socket is closed at once (its peer sees the
   * close); a local channel is registered and closed once active, since a local channel closed
   * before registration leaves its peer's connect pending for good.
   */
  private void refuse(Channel child) {
    if (!(child instanceof LocalChannel)) {
      child.unsafe().closeForcibly();
      return;
    }
    child
        .pipeline()
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelActive(ChannelHandlerContext ctx) {
                var unused = ctx.close();
              }
            });
    ChannelPromise registered = child.newPromise();
    registered.addListener(
        r -> {
          if (!r.isSuccess()) {
            child.unsafe().closeForcibly();
          }
        });
    child.unsafe().register(io, registered);
  }

  /** A connection registered with its loop (that loop): its socket. */
  private void accept(Channel ch, Loop target) {
    NetSocket s = new NetSocket(target, options, this);
    connections.add(s);
    s.addHandlers(ch, tls, null, 0);
    s.attach(ch);
  }

  /** The socket's channel became active: the connection callbacks run. */
  void connectionOpened(NetSocket s) {
    Consumer<NetSocket> first = connectionCallback;
    Consumer<NetSocket> second = onConnection;
    if (first == null && second == null) {
      return;
    }
    s.events()
        .emit(
            () -> {
              if (first != null) {
                first.accept(s);
              }
              if (second != null) {
                second.accept(s);
              }
            });
  }

  void connectionClosed(NetSocket s) {
    if (connections.remove(s)) {
      open.decrementAndGet();
    }
    maybeClosed();
  }

  private void listeningClosed() {
    listeningClosed = true;
    address = null;
    maybeClosed();
  }

  private void maybeClosed() {
    if (closeCalled.get()
        && bindSettled
        && (listeningClosed || listening == null)
        && open.get() == 0
        && closedPromise.promise().isPending()) {
      closedPromise.resolve(null);
    }
  }
}
