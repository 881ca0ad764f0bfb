package dev.loopkit.guava;

import static java.util.Objects.requireNonNull;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.SettableFuture;
import dev.loopkit.Loop;
import dev.loopkit.Promise;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * Converts between {@link Promise} and Guava's {@link ListenableFuture}, keeping value, failure and
 * cancellation both ways.
 *
 * <pre>{@code
 * ListenableFuture<String> lf = LoopFutures.toListenableFuture(promise);
 * Promise<String> p = LoopFutures.fromListenableFuture(loop, lf); // reactions run on loop
 * }</pre>
 */
@SuppressWarnings("exports") // JSpecify's annotations: compile time only (module-info)
public final class LoopFutures {
  private LoopFutures() {}

  /**
   * A {@link ListenableFuture} completed as {@code promise} settles, on the settling thread: with
   * its value, with its reason as the cause of an {@link ExecutionException}, or cancelled if it
   * was cancelled. Cancelling the future cancels the promise.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // the callback only completes `f`: it cannot fail
  public static <T extends @Nullable Object> ListenableFuture<T> toListenableFuture(
      Promise<T> promise) {
    requireNonNull(promise, "promise");
    SettableFuture<T> f = SettableFuture.create();
    promise
        .toCompletableFuture()
        .whenComplete(
            (v, e) -> {
              if (e == null) {
                f.set(v);
              } else if (e instanceof CancellationException) {
                f.cancel(false);
              } else {
                f.setException(unwrap(e));
              }
            });
    f.addListener(
        () -> {
          if (f.isCancelled()) {
            promise.cancel(false);
          }
        },
        MoreExecutors.directExecutor());
    return f;
  }

  /**
   * A promise owned by {@code loop} (its reactions run on the loop) that settles as {@code future}
   * completes: fulfilled with its value (adopted if it is a stage), rejected with the cause of its
   * failure, or cancelled if it was cancelled. Cancelling the promise cancels the future, passing
   * on {@code mayInterruptIfRunning}.
   */
  public static <T extends @Nullable Object> Promise<T> fromListenableFuture(
      Loop loop, ListenableFuture<? extends T> future) {
    requireNonNull(loop, "loop");
    requireNonNull(future, "future");
    Promise.Resolvers<T> r = Promise.withResolvers(loop);
    r.onCancel(future::cancel);
    future.addListener(
        () -> {
          try {
            r.resolve(Futures.getDone(future));
          } catch (CancellationException e) {
            r.reject(e);
          } catch (ExecutionException e) {
            r.reject(unwrap(e));
          } catch (Throwable t) {
            r.reject(t);
          }
        },
        MoreExecutors.directExecutor());
    return r.promise();
  }

  private static Throwable unwrap(Throwable e) {
    if ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      return e.getCause();
    }
    return e;
  }
}
