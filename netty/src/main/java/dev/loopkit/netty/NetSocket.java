package dev.loopkit.netty;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.local.LocalChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SSLParameters;
import org.jspecify.annotations.Nullable;

/**
 * A TCP connection in Node's shape ({@code net.Socket}), on a loop: made by {@link Net#connect} or
 * handed to a server's connection callback.
 *
 * <p><b>Thread and phase.</b> Every callback runs on the socket's loop, in the poll phase, as a
 * callback of its own followed by the microtask checkpoint (nextTick callbacks, then microtasks,
 * before the next event). An event caused by a call of the user's own (a {@link #destroy()} that
 * closes the socket at once) waits for a nextTick, as in Node, so the calling code finishes first.
 * A callback that throws goes to the loop's uncaught-error handler, as any callback's error does;
 * the socket goes on. The callback setters may be called from any thread (they replace the previous
 * callback of that event); every other method must be called on the loop and throws {@link
 * IllegalStateException} elsewhere.
 *
 * <p><b>Reading.</b> Data arrives as {@code byte[]} chunks, each a fresh array the callback owns.
 * As in Node, the socket starts out not flowing: what arrives before {@link #onData} is set (or
 * while {@link #pause() paused}) is kept and delivered, in order, at a nextTick after the callback
 * is set (or after {@link #resume()}); past the high-water mark of kept bytes the socket stops
 * reading from the network. {@link #onEnd} runs once the peer has ended its side and every byte
 * before that end was delivered (so never while data is kept for a data callback not yet set, as in
 * Node); with {@code allowHalfOpen} false (the default) the socket then ends its own side. {@link
 * #onClose} runs last, once, with whether the socket had an error.
 *
 * <p><b>Writing.</b> {@link #write} copies the data and sends it; it answers false once more than
 * the high-water mark is queued, and {@link #onDrain} runs when the queue has gone down again.
 * Writes made before a client is connected are sent once it is. {@link #end()} half-closes after
 * the queued writes; {@link #destroy()} closes at once, dropping what is queued.
 *
 * <p><b>The local transport.</b> A socket of Netty's local transport ({@link Net#connect(Loop,
 * io.netty.channel.local.LocalAddress)}) behaves the same, except that nothing is buffered between
 * its ends ({@link #write} never answers false) and it has no IP addresses ({@link
 * #remoteAddress()} and {@link #localAddress()} are null).
 *
 * <p><b>Errors.</b> A network error runs {@link #onError} and then closes the socket ({@link
 * #onClose} with {@code true}). Without an error callback, the error goes to the loop's
 * uncaught-error handler, except a client's failure to connect: that rejects {@link #connected()}
 * (an unhandled rejection is reported by the loop).
 *
 * <p><b>The loop's stop.</b> When the loop stops (after {@code shutdownNow()}, a graceful timeout,
 * a fatal error, or once {@code shutdown()} has nothing left but I/O), its I/O is closed: the
 * socket is closed without running its callbacks (the loop runs no more callbacks), {@link
 * #closed()} is fulfilled with {@code false}, and a pending {@link #connected()} is rejected.
 */
public final class NetSocket {
  /*
   * Implementation notes
   *
   * Confined to the loop, except the callback fields (volatile: set from any thread) and the
   * promises (safe from any thread). The Netty side is one inbound handler (SocketPipe); the close is
   * learnt from the channel's close future, which also completes for a connect that failed.
   * Events go through Events (the loop's), which makes each one a callback of its own.
   * The readable side (flowing, kept chunks, the peer's end) is SocketReadable's; the writable
   * side (queued writes, the high-water mark, drain, the half-close) SocketWritable's.
   */
  private final Loop loop;
  private final Events events;
  private final NetOptions options;
  private final @Nullable NetServer server;
  private final Promise.Resolvers<@Nullable Void> connect;
  private final Promise.Resolvers<Boolean> closed;

  private volatile @Nullable Consumer<byte[]> onData;
  private volatile @Nullable Runnable onEnd;
  private volatile @Nullable Consumer<Boolean> onClose;
  private volatile @Nullable Consumer<Throwable> onError;
  private volatile @Nullable Runnable onDrain;
  private volatile @Nullable Runnable onConnect;
  private volatile @Nullable Runnable onTimeout;

  // the loop's
  private @Nullable Channel channel;
  private final SocketReadable readable;
  private final SocketWritable writable;
  private boolean destroyedByUser;
  private boolean isClosed;
  private boolean hadError;
  private boolean connectPending; // a client connected; its connect event not yet emitted
  private boolean secured; // TLS: opened once the handshake is done
  private boolean opened; // connected (and the TLS handshake done)
  private @Nullable Timer idle;

  NetSocket(Loop loop, NetOptions options, @Nullable NetServer server) {
    this.loop = loop;
    this.events = ((LoopIoEventLoop) NettyLoops.eventLoop(loop)).events();
    this.options = options;
    this.server = server;
    this.connect = Promise.withResolvers(loop);
    this.closed = Promise.withResolvers(loop);
    this.readable =
        new SocketReadable(
            loop,
            events,
            options.highWaterMark(),
            new SocketReadable.Owner() {
              @Override
              public @Nullable Consumer<byte[]> dataCallback() {
                return onData;
              }

              @Override
              public @Nullable Runnable endCallback() {
                return onEnd;
              }

              @Override
              public boolean isClosed() {
                return isClosed;
              }

              @Override
              public void readableEnded() {
                NetSocket.this.readableEnded();
              }
            });
    this.writable =
        new SocketWritable(events, options.highWaterMark(), () -> onDrain, readable::endEmitted);
  }

  /**
   * Adds this socket's handlers to {@code ch}'s pipeline (loop): TLS first if {@code tls} is given
   * (a client's checks the server's certificate against {@code peerHost}), then the socket's own.
   */
  void addHandlers(Channel ch, @Nullable SslContext tls, @Nullable String peerHost, int peerPort) {
    if (tls != null) {
      SslHandler h =
          peerHost == null
              ? tls.newHandler(ch.alloc())
              : tls.newHandler(ch.alloc(), peerHost, peerPort);
      if (peerHost != null) {
        SSLParameters p = h.engine().getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the name or address must match
        h.engine().setSSLParameters(p);
      }
      ch.pipeline().addLast(h);
      secured = true;
    }
    if (ch instanceof LocalChannel) {
      ch.pipeline().addFirst(new LocalHop((LoopIoEventLoop) NettyLoops.eventLoop(loop)));
    }
    ch.pipeline().addLast(new SocketPipe(this));
  }

  /** The channel is registered (loop): its close ends the socket. */
  void attach(Channel ch) {
    channel = ch;
    readable.attach(ch);
    writable.attach(ch);
    ch.closeFuture().addListener((ChannelFutureListener) f -> closedNow());
  }

  /** A client's connection failed before it was established (loop). */
  void connectFailed(Throwable cause) {
    hadError = true;
    if (onError != null) {
      rejectConnect(cause, true); // the error callback handles it
      emitError(cause);
    } else {
      rejectConnect(cause, false); // unhandled, the loop reports it
    }
    Channel ch = channel;
    if (ch == null) {
      closedNow(); // it never had a channel: closed as it is
    } else {
      var unused = ch.close(); // its close future ends the socket
    }
  }

  // ---- callbacks -------------------------------------------------------------------------------

  /**
   * Sets the data callback (Node's {@code 'data'}): each chunk read, as a fresh {@code byte[]}.
   * Setting it makes the socket flowing: what was kept meanwhile is delivered at a nextTick.
   */
  public NetSocket onData(Consumer<byte[]> callback) {
    onData = Objects.requireNonNull(callback, "callback");
    readable.scheduleFlush();
    return this;
  }

  /** Sets the end callback (Node's {@code 'end'}): the peer ended its side; runs at most once. */
  public NetSocket onEnd(Runnable callback) {
    onEnd = Objects.requireNonNull(callback, "callback");
    return this;
  }

  /**
   * Sets the close callback (Node's {@code 'close'}): runs once, last, with whether the socket had
   * an error.
   */
  public NetSocket onClose(Consumer<Boolean> callback) {
    onClose = Objects.requireNonNull(callback, "callback");
    return this;
  }

  /** Sets the error callback (Node's {@code 'error'}); the close follows it. */
  public NetSocket onError(Consumer<Throwable> callback) {
    onError = Objects.requireNonNull(callback, "callback");
    return this;
  }

  /** Sets the drain callback: a {@link #write} answered false and the queue has gone down. */
  public NetSocket onDrain(Runnable callback) {
    onDrain = Objects.requireNonNull(callback, "callback");
    return this;
  }

  /**
   * Sets the connect callback of a client socket (Node's {@code 'connect'}): runs once connected,
   * before {@link #connected()}'s reactions. A server's sockets are connected when handed over.
   */
  public NetSocket onConnect(Runnable callback) {
    onConnect = Objects.requireNonNull(callback, "callback");
    return this;
  }

  /** A promise fulfilled once connected, rejected with the cause if the connection failed. */
  public Promise<@Nullable Void> connected() {
    return connect.promise();
  }

  /** A promise fulfilled, once the socket has closed, with whether it had an error. */
  public Promise<Boolean> closed() {
    return closed.promise();
  }

  // ---- reading ---------------------------------------------------------------------------------

  /** Stops delivering data (Node's {@code pause()}): what arrives is kept until resumed. */
  public NetSocket pause() {
    checkLoop("pause");
    readable.pause();
    return this;
  }

  /** Delivers data again (Node's {@code resume()}): what was kept comes at a nextTick. */
  public NetSocket resume() {
    checkLoop("resume");
    readable.resume();
    return this;
  }

  /** Whether the socket is paused. */
  public boolean isPaused() {
    checkLoop("isPaused");
    return readable.isPaused();
  }

  /**
   * Runs {@code callback} once the socket has neither read nor written for {@code timeout}, and
   * again after each later idle period of that length (Node's {@code setTimeout}); the socket stays
   * open (the callback may {@link #destroy()} it). The timer does not hold a program-mode loop
   * open. A zero timeout turns it off.
   *
   * @param callback the timeout callback, or null to keep the one set before
   * @throws IllegalArgumentException if {@code timeout} is negative or above 2³¹−1 ms
   */
  public NetSocket setTimeout(Duration timeout, @Nullable Runnable callback) {
    Objects.requireNonNull(timeout, "timeout");
    checkLoop("setTimeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    if (callback != null) {
      onTimeout = callback;
    }
    if (idle != null) {
      idle.cancel();
      idle = null;
    }
    if (!timeout.isZero() && !isClosed) {
      idle = loop.setTimeout(this::timedOut, timeout).unref();
    }
    return this;
  }

  private void timedOut() {
    Runnable cb = onTimeout;
    if (cb != null && !isClosed) {
      cb.run(); // a timer's callback already: its own error routing and checkpoint
    }
  }

  // ---- writing ---------------------------------------------------------------------------------

  /**
   * Sends a copy of {@code data}.
   *
   * @return false if more than the high-water mark is now queued (wait for {@link #onDrain}), or if
   *     the socket has closed (the data is dropped)
   * @throws IllegalStateException if the socket's writable side was ended (by {@link #end()}, or
   *     after the peer's end with {@code allowHalfOpen} false) or the socket was destroyed
   */
  public boolean write(byte[] data) {
    Objects.requireNonNull(data, "data");
    return write(Unpooled.copiedBuffer(data), "write");
  }

  /** Sends a copy of the remaining bytes of {@code data}; as {@link #write(byte[])}. */
  public boolean write(ByteBuffer data) {
    Objects.requireNonNull(data, "data");
    return write(Unpooled.copiedBuffer(data.duplicate()), "write");
  }

  /** Sends {@code data} in UTF-8; as {@link #write(byte[])}. */
  public boolean write(String data) {
    Objects.requireNonNull(data, "data");
    return write(Unpooled.copiedBuffer(data, StandardCharsets.UTF_8), "write");
  }

  private boolean write(ByteBuf buf, String call) {
    try {
      checkLoop(call);
      if (destroyedByUser || writable.ended()) {
        throw new IllegalStateException(
            call
                + " after "
                + (destroyedByUser ? "destroy()" : "end()")
                + ": the socket's writable side has ended");
      }
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
    if (isClosed) {
      buf.release();
      return false;
    }
    refreshIdle();
    return writable.write(buf);
  }

  /** Ends the writable side after what is queued (Node's {@code end()}); later ends do nothing. */
  public NetSocket end() {
    checkLoop("end");
    events.enterApi();
    try {
      writable.end();
    } finally {
      events.leaveApi();
    }
    return this;
  }

  /** Writes {@code data}, then ends the writable side. */
  public NetSocket end(byte[] data) {
    write(data);
    return end();
  }

  /** Closes the socket at once, dropping what is queued (Node's {@code destroy()}). */
  public NetSocket destroy() {
    checkLoop("destroy");
    destroyedByUser = true;
    events.enterApi();
    try {
      destroyNow();
    } finally {
      events.leaveApi();
    }
    return this;
  }

  /**
   * Closes the socket at once with {@code error} (Node's {@code destroy(error)}): the error
   * callback runs with it (at a nextTick), then the close callback with {@code true}.
   */
  public NetSocket destroy(Throwable error) {
    Objects.requireNonNull(error, "error");
    checkLoop("destroy");
    destroyedByUser = true;
    events.enterApi();
    try {
      if (!isClosed) {
        hadError = true;
        emitError(error);
      }
      destroyNow();
    } finally {
      events.leaveApi();
    }
    return this;
  }

  // ---- state -----------------------------------------------------------------------------------

  /** The peer's address, or null before a client is connected (or on the local transport). */
  public @Nullable InetSocketAddress remoteAddress() {
    Channel ch = channel;
    return ch != null && ch.remoteAddress() instanceof InetSocketAddress a ? a : null;
  }

  /** This end's address, or null before a client is connected (or on the local transport). */
  public @Nullable InetSocketAddress localAddress() {
    Channel ch = channel;
    return ch != null && ch.localAddress() instanceof InetSocketAddress a ? a : null;
  }

  /** How this socket's loop runs its events. */
  Events events() {
    return events;
  }

  /** The loop this socket's callbacks run on. */
  public Loop loop() {
    return loop;
  }

  @Override
  public String toString() {
    return "NetSocket[" + (channel == null ? "connecting" : channel.toString()) + "]";
  }

  // ---- the inside ------------------------------------------------------------------------------

  private void checkLoop(String call) {
    if (!loop.inEventLoop()) {
      throw new IllegalStateException(
          "NetSocket." + call + " must be called on its loop " + loop.name() + " (use execute)");
    }
  }

  private void refreshIdle() {
    Timer t = idle;
    if (t != null) {
      t.refresh();
    }
  }

  /** Closes {@code ch}; its close future tells the socket. */
  static void close(Channel ch) {
    var unused = ch.close();
  }

  /** The readable side delivered the peer's end (loop). */
  private void readableEnded() {
    if (!options.allowHalfOpen()) {
      writable.end();
    }
    if (writable.outputShut()) {
      destroyNow(); // both sides ended: the socket is done
    }
  }

  private void destroyNow() {
    Channel ch = channel;
    if (ch != null) {
      var unused = ch.close();
    } else if (!isClosed) {
      closedNow();
    }
  }

  private void emitError(Throwable cause) {
    Consumer<Throwable> cb = onError;
    if (cb != null) {
      events.emit(() -> cb.accept(cause));
    } else {
      events.emit(
          () -> {
            throw cause instanceof RuntimeException r
                ? r
                : new IllegalStateException("socket error with no error callback: " + cause, cause);
          });
    }
  }

  /** The channel closed (loop), or a client never got one. */
  private void closedNow() {
    if (isClosed) {
      return;
    }
    connectedNow();
    isClosed = true;
    if (idle != null) {
      idle.cancel();
      idle = null;
    }
    writable.clear();
    readable.clear();
    rejectConnect(new java.io.IOException("the socket closed before it connected"), true);
    if (server != null) {
      server.connectionClosed(this);
    }
    Consumer<Boolean> cb = onClose;
    boolean error = hadError;
    if (cb != null) {
      events.emit(() -> cb.accept(error));
    }
    closed.resolve(error);
  }

  /**
   * A client's connect event. It waits for the poll phase's next pass (a task handed in), so that a
   * server on the same loop that accepted the connection in the same poll runs its connection
   * callback first, as Node's does (libuv watches a connecting socket from its next poll on); any
   * other event of this socket emits it first if it is still pending.
   */
  private void connectedNow() {
    if (!connectPending) {
      return;
    }
    connectPending = false;
    Runnable cb = onConnect;
    if (cb != null) {
      events.emit(cb);
    }
    connect.resolve(null);
    writable.maybeDrain(); // writes made before it connected went out
  }

  private void rejectConnect(Throwable cause, boolean handled) {
    if (!connect.promise().isPending()) {
      return;
    }
    if (handled) {
      var unused = connect.promise().catchError(e -> null);
    }
    connect.reject(cause);
  }

  // ---- what the channel's handler (SocketPipe) reports (loop)
  // -------------------------------------

  /** The channel is active (TCP connected); with TLS, the socket opens at the handshake. */
  void channelActive(Channel ch) {
    if (!secured) {
      opened(ch);
    }
  }

  /** The TLS handshake is done: {@code cause} null if it succeeded. */
  void handshakeDone(Channel ch, @Nullable Throwable cause) {
    if (cause == null) {
      opened(ch);
    } else {
      handshakeFailed(ch, cause); // (before the handler closes the channel)
    }
  }

  /** A TLS handshake that failed: a client's failed connection; a server's, closed quietly. */
  private void handshakeFailed(Channel ch, Throwable cause) {
    if (isClosed) {
      return;
    }
    if (server == null) {
      connectFailed(cause);
    } else {
      close(ch); // never handed to the callbacks: closed quietly, as Node does
    }
  }

  private void opened(Channel ch) {
    opened = true;
    writable.connected();
    if (server != null) {
      server.connectionOpened(this);
      connect.resolve(null);
    } else {
      connectPending = true; // emitted at the poll phase's next pass (see connectedNow)
      ch.eventLoop().execute(this::connectedNow);
    }
  }

  /** A chunk read. */
  void read(byte[] chunk) {
    connectedNow();
    refreshIdle();
    readable.chunk(chunk);
  }

  /** The peer ended its side (TCP, or TLS's close_notify). */
  void peerEnded() {
    connectedNow();
    readable.peerEnded();
  }

  void writabilityChanged() {
    writable.maybeDrain();
  }

  /** A network error (or one of TLS). */
  void failed(Channel ch, Throwable cause) {
    if (isClosed || events.fatalPending()) {
      return; // (a fatal error a callback threw: the loop stops, and its end closes the socket)
    }
    if (!opened) {
      handshakeFailed(ch, cause);
      return;
    }
    connectedNow();
    hadError = true;
    emitError(cause);
    close(ch);
  }
}
