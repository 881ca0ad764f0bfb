package dev.loopkit.netty;

import dev.loopkit.Loop;
import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A socket's readable side, run as Node runs a socket's readable stream: chunks are delivered while
 * it flows (a data callback set, not paused) and kept otherwise; the peer's end is delivered after
 * every chunk before it.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop (its socket's). Kept chunks are delivered at a nextTick after the socket
 * starts flowing (its data callback set, or resume()), as Node's resume() does; past the
 * high-water mark of kept bytes the channel stops reading (autoRead off) until they are delivered.
 * A pause turns autoRead off too, but what Netty had read already still arrives: it is kept.
 * }</pre>
 */
final class SocketReadable {
  /** What the socket does when the readable side has delivered the peer's end. */
  interface Owner {
    @Nullable Consumer<byte[]> dataCallback();

    @Nullable Runnable endCallback();

    boolean isClosed();

    /** After the end callback: the socket's own end (allowHalfOpen false), or its close. */
    void readableEnded();
  }

  private final Loop loop;
  private final Events events;
  private final int highWaterMark;
  private final Owner owner;
  private final ArrayDeque<byte[]> kept = new ArrayDeque<>(0);
  private long keptBytes;
  private boolean flushScheduled;
  private boolean paused;
  private boolean peerEnded;
  private boolean endEmitted;
  private @Nullable Channel channel;

  SocketReadable(Loop loop, Events events, int highWaterMark, Owner owner) {
    this.loop = loop;
    this.events = events;
    this.highWaterMark = highWaterMark;
    this.owner = owner;
  }

  void attach(Channel ch) {
    channel = ch;
    if (paused) {
      ch.config().setAutoRead(false);
    }
  }

  boolean isPaused() {
    return paused;
  }

  /** Whether the end was delivered. */
  boolean endEmitted() {
    return endEmitted;
  }

  void pause() {
    paused = true;
    autoRead(false);
  }

  void resume() {
    paused = false;
    if (keptBytes < highWaterMark) {
      autoRead(true);
    }
    scheduleFlush();
  }

  /** The socket may have started flowing (any thread: a data callback was set off the loop). */
  void scheduleFlush() {
    if (!loop.inEventLoop()) {
      loop.nextTick(this::flush); // (the flag is the loop's: a second flush finds nothing)
    } else if (!flushScheduled) {
      flushScheduled = true;
      loop.nextTick(this::flush);
    }
  }

  /** A chunk the channel read. */
  void chunk(byte[] chunk) {
    if (flowing() && kept.isEmpty()) {
      emitData(chunk);
      return;
    }
    kept.add(chunk);
    keptBytes += chunk.length;
    if (keptBytes >= highWaterMark) {
      autoRead(false);
    }
  }

  /** The peer ended its side. */
  void peerEnded() {
    peerEnded = true;
    maybeEnd();
  }

  /** The socket closed: what was kept is dropped. */
  void clear() {
    kept.clear();
    keptBytes = 0;
  }

  private void flush() {
    flushScheduled = false;
    while (flowing() && !kept.isEmpty()) {
      byte[] chunk = kept.poll();
      keptBytes -= chunk.length;
      emitData(chunk);
    }
    if (!paused && !owner.isClosed() && keptBytes < highWaterMark) {
      autoRead(true);
    }
    maybeEnd();
  }

  private boolean flowing() {
    return owner.dataCallback() != null && !paused && !owner.isClosed();
  }

  private void emitData(byte[] chunk) {
    Consumer<byte[]> cb = owner.dataCallback();
    if (cb != null) {
      events.emit(() -> cb.accept(chunk));
    }
  }

  private void maybeEnd() {
    if (!peerEnded || endEmitted || !kept.isEmpty() || paused || owner.isClosed()) {
      return; // (as Node: the end waits for every byte before it to be delivered)
    }
    endEmitted = true;
    Runnable cb = owner.endCallback();
    if (cb != null) {
      events.emit(cb);
    }
    owner.readableEnded();
  }

  private void autoRead(boolean on) {
    Channel ch = channel;
    if (ch != null) {
      ch.config().setAutoRead(on);
    }
  }
}
