package dev.loopkit.netty;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.Future;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;

/**
 * Netty's futures as loopkit promises, so code on the loop can {@code then} or {@code await} a
 * bind, a connect, a write or a close instead of blocking in Netty's {@code sync()}, which is not
 * for the loop's thread.
 *
 * <pre>{@code
 * NettyPromises.from(loop, bootstrap.connect(address))
 *     .then(channel -> channel.writeAndFlush(hello));
 * }</pre>
 */
public final class NettyPromises {
  private NettyPromises() {}

  /**
   * A promise of {@code loop} settled as {@code future} completes: fulfilled with its value,
   * rejected with its cause, or rejected with a {@link CancellationException} if it was cancelled.
   * Settled on the loop (its reactions run as microtasks of {@code loop}, whatever thread completes
   * the future); cancelling the promise cancels the future. If the loop has terminated, the promise
   * is rejected as every promise of a terminated loop is.
   */
  public static <T extends @Nullable Object> Promise<T> from(Loop loop, Future<T> future) {
    Objects.requireNonNull(loop, "loop");
    Objects.requireNonNull(future, "future");
    Promise.Resolvers<T> r = Promise.withResolvers(loop);
    r.onCancel(mayInterrupt -> future.cancel(mayInterrupt));
    future.addListener(
        f -> {
          if (f.isSuccess()) {
            @SuppressWarnings("unchecked") // f is future
            T value = (T) f.getNow();
            r.resolve(value);
          } else if (f.isCancelled()) {
            r.reject(new CancellationException("the Netty future was cancelled"));
          } else {
            r.reject(Objects.requireNonNull(f.cause(), "cause"));
          }
        });
    return r.promise();
  }

  /**
   * A promise of {@code loop} fulfilled with the channel of {@code future} once that bind, connect,
   * register or close has succeeded; otherwise as {@link #from(Loop, Future)}.
   */
  public static Promise<io.netty.channel.Channel> from(Loop loop, ChannelFuture future) {
    Objects.requireNonNull(future, "future");
    Promise<@Nullable Void> done = from(loop, (Future<@Nullable Void>) future);
    return done.then(v -> future.channel());
  }
}
