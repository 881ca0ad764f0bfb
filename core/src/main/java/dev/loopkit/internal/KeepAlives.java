package dev.loopkit.internal;

import dev.loopkit.KeepAlive;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** A loop's open keep-alives: each holds a program-mode loop open until closed (any thread). */
final class KeepAlives {
  private final EventLoop loop;
  private final Set<KeepAliveHandle> open = ConcurrentHashMap.newKeySet();

  KeepAlives(EventLoop loop) {
    this.loop = loop;
  }

  /**
   * {@code keepAlive()}.
   *
   * @throws java.util.concurrent.RejectedExecutionException once the loop is shutting down
   */
  KeepAlive open() {
    KeepAliveHandle k = new KeepAliveHandle(loop, loop.ids.getAndIncrement());
    open.add(k);
    if (!loop.accepting()) {
      open.remove(k);
      throw loop.rejected("keepAlive");
    }
    return k;
  }

  boolean isOpen(KeepAliveHandle k) {
    return open.contains(k);
  }

  void closed(KeepAliveHandle k) {
    open.remove(k);
    loop.pollQueue.recheckLiveness(); // the loop may have nothing else holding it open
  }

  /** Whether a ref'd keep-alive holds the loop open. */
  boolean holdLoop() {
    for (KeepAliveHandle k : open) {
      if (k.hasRef()) {
        return true;
      }
    }
    return false;
  }

  void forEach(Consumer<KeepAliveHandle> action) {
    open.forEach(action);
  }
}
