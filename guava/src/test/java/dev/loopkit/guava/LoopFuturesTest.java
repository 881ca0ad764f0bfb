package dev.loopkit.guava;

import static dev.loopkit.guava.LoopFutures.fromListenableFuture;
import static dev.loopkit.guava.LoopFutures.toListenableFuture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.AbstractFuture;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.SettableFuture;
import dev.loopkit.Loop;
import dev.loopkit.Promise;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Promise to and from Guava's ListenableFuture, on every carrier set-up (the conformance fixture of
 * loopkit-adapters' test-jar): conversions keep value, failure and cancellation; cancelling either
 * side cancels the other; a promise made from a future belongs to its loop.
 */
class LoopFuturesTest {

  enum Input {
    SUCCESS,
    FAILURE,
    CANCELLED
  }

  /** How a future ended, comparable across kinds of future. */
  record Outcome(String value, String failure) {}

  /** Waits for {@code future} (stepping a manual loop) and describes how it ended. */
  private static Outcome outcome(LoopFixture f, Loop loop, Future<?> future) {
    f.awaitCondition(loop, future::isDone, "the future to complete");
    try {
      return new Outcome(String.valueOf(future.get(0, TimeUnit.SECONDS)), null);
    } catch (CancellationException e) {
      return new Outcome(null, "CancellationException");
    } catch (ExecutionException e) {
      Throwable t = e.getCause();
      return new Outcome(null, t.getClass().getSimpleName() + ":" + t.getMessage());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  private static Outcome outcome(LoopFixture f, Loop loop, Promise<?> p) {
    return outcome(f, loop, p.toCompletableFuture());
  }

  private static Promise<String> loopInput(Loop loop, Input in) {
    return switch (in) {
      case SUCCESS -> Promise.resolve(loop, "v");
      case FAILURE -> Promise.reject(loop, new IllegalStateException("boom"));
      case CANCELLED -> {
        Promise<String> p = Promise.<String>withResolvers(loop).promise();
        assertTrue(p.cancel(false));
        yield p;
      }
    };
  }

  private static Loop quietLoop(LoopFixture f) {
    return f.newLoop(b -> b.onUnhandledRejection((l, e) -> {}));
  }

  /** A ListenableFuture that tells whether its cancellation asked to interrupt. */
  static final class Probe<T> extends AbstractFuture<T> {
    boolean interruptRequested() {
      return wasInterrupted();
    }
  }

  @CarrierTest
  void roundTripsKeepValueFailureAndCancellation(LoopFixture f) throws Exception {
    Loop loop = quietLoop(f);
    for (Input in : Input.values()) {
      Promise<String> p = loopInput(loop, in);
      Outcome original = outcome(f, loop, p);

      ListenableFuture<String> lf = toListenableFuture(p);
      Promise<String> viaLf = fromListenableFuture(loop, lf);
      assertEquals(original, outcome(f, loop, lf), in + ": Promise -> ListenableFuture");
      assertEquals(original, outcome(f, loop, viaLf), in + ": -> ListenableFuture -> Promise");
      assertEquals(in == Input.CANCELLED, lf.isCancelled(), in + ": lf.isCancelled");
      assertEquals(in == Input.CANCELLED, viaLf.isCancelled(), in + ": viaLf.isCancelled");
      assertSame(loop, viaLf.loop(), "the promise belongs to the given loop");
      if (in == Input.FAILURE) {
        assertSame(p.reason(), viaLf.reason(), "the failure cause is kept, not wrapped");
      }
      if (in == Input.SUCCESS) {
        assertEquals("v", viaLf.value());
      }

      // The other way: ListenableFuture -> Promise -> ListenableFuture.
      SettableFuture<String> settable = SettableFuture.create();
      switch (in) {
        case SUCCESS -> settable.set("v");
        case FAILURE -> settable.setException(new IllegalStateException("boom"));
        case CANCELLED -> settable.cancel(false);
      }
      Promise<String> fromSettable = fromListenableFuture(loop, settable);
      assertEquals(original, outcome(f, loop, fromSettable), in + ": ListenableFuture -> Promise");
      ListenableFuture<String> back = toListenableFuture(fromSettable);
      assertEquals(in == Input.CANCELLED, back.isCancelled(), in + ": back to ListenableFuture");
      if (in == Input.SUCCESS) {
        assertEquals("v", back.get(0, TimeUnit.SECONDS));
      }
      if (in == Input.FAILURE) {
        ExecutionException e =
            assertThrows(ExecutionException.class, () -> back.get(0, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals("boom", e.getCause().getMessage());
      }
    }
  }

  @CarrierTest
  void pendingConversionsFollowLaterSettlement(LoopFixture f) throws Exception {
    Loop loop = quietLoop(f);
    // Promise -> ListenableFuture, settled later.
    Promise.Resolvers<String> r = Promise.withResolvers(loop);
    ListenableFuture<String> lf = toListenableFuture(r.promise());
    assertFalse(lf.isDone());
    r.resolve("late");
    assertEquals("late", outcome(f, loop, lf).value());
    assertEquals("late", f.await(loop, fromListenableFuture(loop, lf)));

    // ListenableFuture -> Promise, completed later from another thread: the promise's reactions
    // run on its loop.
    SettableFuture<String> settable = SettableFuture.create();
    Promise<String> p = fromListenableFuture(loop, settable);
    Promise<Boolean> onLoop = p.thenApply(v -> "later".equals(v) && loop.inEventLoop());
    assertTrue(p.isPending());
    Thread setter = new Thread(() -> settable.set("later"), "loop-futures-test-setter");
    setter.start();
    setter.join(LoopFixture.PATIENCE.toMillis());
    assertTrue(f.await(loop, onLoop), "the reaction ran on the owning loop with the value");

    // A future whose value is a stage: the promise adopts it (as Promise.resolve does).
    SettableFuture<Object> ofStage = SettableFuture.create();
    Promise<Object> adopted = fromListenableFuture(loop, ofStage);
    ofStage.set(CompletableFuture.completedFuture("inner"));
    assertEquals("inner", f.await(loop, adopted));
  }

  @CarrierTest
  void cancellationPropagatesBothWays(LoopFixture f) {
    Loop loop = quietLoop(f);
    // Cancelling a ListenableFuture made from a promise cancels the promise.
    Promise.Resolvers<String> r = Promise.withResolvers(loop);
    ListenableFuture<String> lf = toListenableFuture(r.promise());
    assertTrue(lf.cancel(false));
    assertTrue(r.promise().isCancelled(), "cancelling the ListenableFuture cancels the promise");
    assertFalse(r.resolve("too late"), "the cancelled promise stays cancelled");

    // Cancelling a promise made from a future cancels the future, passing mayInterruptIfRunning.
    Probe<String> interruptible = new Probe<>();
    Promise<String> p1 = fromListenableFuture(loop, interruptible);
    assertTrue(p1.cancel(true));
    assertTrue(interruptible.isCancelled(), "cancelling the promise cancels the ListenableFuture");
    assertTrue(interruptible.interruptRequested(), "cancel(true) asks to interrupt");
    assertTrue(p1.isCancelled());

    Probe<String> plain = new Probe<>();
    Promise<String> p2 = fromListenableFuture(loop, plain);
    assertTrue(p2.cancel(false));
    assertTrue(plain.isCancelled());
    assertFalse(plain.interruptRequested(), "cancel(false) does not ask to interrupt");

    // Cancelling the pending future cancels the promise made from it.
    SettableFuture<String> settable = SettableFuture.create();
    Promise<String> p3 = fromListenableFuture(loop, settable);
    assertTrue(settable.cancel(true));
    assertEquals(new Outcome(null, "CancellationException"), outcome(f, loop, p3));
    assertTrue(p3.isCancelled());
  }

  @Test
  void nullsAreRefused() {
    assertThrows(NullPointerException.class, () -> toListenableFuture(null));
    assertThrows(
        NullPointerException.class, () -> fromListenableFuture(null, SettableFuture.create()));
  }
}
