package dev.loopkit.internal;

import dev.loopkit.HandleInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code Loop.activeHandles()} (Node's {@code process.getActiveResourcesInfo()}): what the loop
 * holds — timers, immediates, keep-alives, offloads — read on the loop, so off the loop the
 * question is handed in and answered in the poll phase.
 */
final class ActiveHandles {
  private ActiveHandles() {}

  /** The loop's active handles, by id: on the loop, or asked of it from another thread. */
  static List<HandleInfo> of(EventLoop loop) {
    if (loop.inEventLoop()) {
      return onLoop(loop);
    }
    if (loop.state() == Lifecycle.TERMINATED) {
      return List.of();
    }
    CompletableFuture<List<HandleInfo>> answer = new CompletableFuture<>();
    if (!loop.pollQueue.handIn(() -> answer.complete(onLoop(loop)), true)) {
      return List.of();
    }
    try {
      return answer.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the loop " + loop.name(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the loop " + loop.name() + " did not answer within 10 s", e);
    }
  }

  private static List<HandleInfo> onLoop(EventLoop loop) {
    List<HandleInfo> out = new ArrayList<>();
    long now = loop.clock().nanoTime();
    loop.timers.forEach(
        t ->
            out.add(
                new HandleInfo(
                    t.kind(), t.id, t.hasRef(), Optional.of(Duration.ofNanos(t.deadline - now)))));
    loop.immediates.forEachQueued(
        im -> out.add(new HandleInfo(im.kind(), im.id, im.hasRef(), Optional.empty())));
    loop.keepAlives.forEach(
        k -> out.add(new HandleInfo(k.kind(), k.id, k.hasRef(), Optional.empty())));
    loop.offloads.forEachPending(
        task -> out.add(new HandleInfo("offload", task.id, true, Optional.empty())));
    out.sort(Comparator.comparingLong(HandleInfo::id));
    return out;
  }
}
