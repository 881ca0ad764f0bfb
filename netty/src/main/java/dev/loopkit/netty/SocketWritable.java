package dev.loopkit.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A socket's writable side, as Node runs a socket's writable stream: writes are queued (before the
 * connection is established, here; after, in the channel), a write answers false past the
 * high-water mark and the drain event follows when the queue has gone down; the end half-closes
 * after what is queued.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop (its socket's). The channel's own queue carries the high-water mark
 * (WRITE_BUFFER_WATER_MARK: low half the mark, high the mark), so isWritable() is the answer and
 * its change to writable the drain. Once both sides have ended (the output shut and the readable
 * side's end delivered) the channel is closed: the socket is done.
 * }</pre>
 */
final class SocketWritable {
  private final Events events;
  private final int highWaterMark;
  private final Supplier<@Nullable Runnable> drainCallback;
  private final BooleanSupplier readableEnded;
  private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>(0);
  private long pendingBytes;
  private boolean connected;
  private boolean needDrain;
  private boolean ended;
  private boolean outputShut;
  private @Nullable Channel channel;

  SocketWritable(
      Events events,
      int highWaterMark,
      Supplier<@Nullable Runnable> drainCallback,
      BooleanSupplier readableEnded) {
    this.events = events;
    this.highWaterMark = highWaterMark;
    this.drainCallback = drainCallback;
    this.readableEnded = readableEnded;
  }

  void attach(Channel ch) {
    channel = ch;
  }

  /** Whether the writable side was ended. */
  boolean ended() {
    return ended;
  }

  /** Whether the output is shut (the end went out). */
  boolean outputShut() {
    return outputShut;
  }

  /** Sends (or queues until connected) {@code buf}; whether the queue is below the mark. */
  boolean write(ByteBuf buf) {
    Channel ch = channel;
    if (!connected || ch == null) {
      pending.add(buf);
      pendingBytes += buf.readableBytes();
      boolean ok = pendingBytes < highWaterMark;
      needDrain |= !ok;
      return ok;
    }
    events.enterApi();
    try {
      var unused = ch.writeAndFlush(buf, ch.voidPromise());
    } finally {
      events.leaveApi();
    }
    boolean ok = ch.isWritable();
    needDrain |= !ok;
    return ok;
  }

  /** Ends the writable side after what is queued; later ends do nothing. */
  void end() {
    if (ended) {
      return;
    }
    ended = true;
    if (connected) {
      shutdownOutput();
    } // else: once connected
  }

  /** The connection is established: what was queued goes out, and the end if it was asked. */
  void connected() {
    Channel ch = Objects.requireNonNull(channel);
    connected = true;
    for (ByteBuf b; (b = pending.poll()) != null; ) {
      var unused = ch.write(b, ch.voidPromise());
    }
    pendingBytes = 0;
    ch.flush();
    if (ended) {
      shutdownOutput();
    }
  }

  /** Emits the drain event if a write answered false and the queue has gone down since. */
  void maybeDrain() {
    Channel ch = channel;
    if (needDrain && connected && ch != null && ch.isWritable()) {
      needDrain = false;
      Runnable cb = drainCallback.get();
      if (cb != null) {
        events.emit(cb);
      }
    }
  }

  /** The socket closed: what was queued is dropped. */
  void clear() {
    connected = false;
    for (ByteBuf b; (b = pending.poll()) != null; ) {
      b.release();
    }
    pendingBytes = 0;
  }

  private void shutdownOutput() {
    Channel ch = Objects.requireNonNull(channel);
    if (!(ch instanceof DuplexChannel)) { // the local transport: the end goes after the data
      ch.writeAndFlush(LocalHop.END)
          .addListener(
              written -> {
                outputShut = true;
                if (ch.isOpen() && (readableEnded.getAsBoolean() || !written.isSuccess())) {
                  NetSocket.close(ch); // both sides ended: the socket is done
                }
              });
      return;
    }
    ch.writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            written -> {
              if (!ch.isOpen()) {
                return;
              }
              SslHandler tls = ch.pipeline().get(SslHandler.class);
              if (tls == null) {
                shutdownTcpOutput(ch);
              } else { // TLS: close_notify first, the peer's end
                var unused = tls.closeOutbound().addListener(notified -> shutdownTcpOutput(ch));
              }
            });
  }

  private void shutdownTcpOutput(Channel ch) {
    if (!ch.isOpen()) {
      return;
    }
    var unused =
        ((DuplexChannel) ch)
            .shutdownOutput()
            .addListener(
                shut -> {
                  outputShut = true;
                  if (readableEnded.getAsBoolean() || !shut.isSuccess()) {
                    NetSocket.close(ch); // both sides ended: the socket is done
                  }
                });
  }
}
