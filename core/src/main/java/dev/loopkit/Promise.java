package dev.loopkit;

import static java.util.Objects.requireNonNull;

import dev.loopkit.internal.Abandonable;
import dev.loopkit.internal.Fatal;
import dev.loopkit.internal.PromiseHost;
import dev.loopkit.internal.Suspensions;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A JavaScript promise owned by a loop: settled once; its reactions run as microtasks on the owning
 * loop, in the order they were added, including reactions added from inside a reaction.
 *
 * <p>It may be settled from any thread; a settlement made off the loop reaches the loop in its poll
 * phase, and only then are the reactions queued. A reaction added off the loop reaches it the same
 * way, in order with settlements: a rejection may be reported as unhandled before a handler added
 * later from another thread arrives, so add handlers on the loop. Long chains do not grow the
 * stack: every reaction is a microtask. A promise rejected with no reaction by the end of the
 * microtask checkpoint goes to the loop's unhandled-rejection handler.
 *
 * <p>Resolving with another promise (or any {@link CompletionStage}) adopts its outcome, with the
 * same extra microtask hops as JavaScript. Java names: {@code catch} is {@link #catchError}, {@code
 * finally} is {@link #andFinally}; {@link #thenCompose} flattens a promise returned by a handler.
 *
 * <pre>{@code
 * Implementation notes
 *
 * result: null while pending, then NULL_VALUE, a value, or a Failure; set once by CAS from any
 * thread. Reactions, dispatched and handled are confined to the loop: a settlement or a reaction
 * that arrives from another thread is handed to the loop as an internal poll-phase task, so the
 * two are ordered by the loop and every reaction runs exactly once. mirror is a lazily made
 * CompletableFuture that blocking callers wait on; it is completed by whichever thread settles.
 * }</pre>
 *
 * @param <T> the value's type
 */
@SuppressWarnings("exports") // JSpecify's annotations: compile time only (module-info)
public final class Promise<T extends @Nullable Object> implements CompletionStage<T> {

  private static final Object NULL_VALUE = new Object();
  private static final VarHandle RESULT;
  private static final VarHandle MIRROR;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      RESULT = lookup.findVarHandle(Promise.class, "result", Object.class);
      MIRROR = lookup.findVarHandle(Promise.class, "mirror", CompletableFuture.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final PromiseHost host;
  private volatile @Nullable Object result;
  private volatile @Nullable CompletableFuture<T> mirror;
  private volatile java.util.function.@Nullable Consumer<Boolean> canceller;

  // Confined to the loop.
  private @Nullable Object reactions; // null, one Reaction, or an ArrayList<Reaction>
  private boolean dispatched;
  private boolean handled;

  private Promise(PromiseHost host) {
    this.host = host;
  }

  // ---- making promises -------------------------------------------------------------------------

  /** A pending promise of the current loop with its resolve and reject functions. */
  public static <T extends @Nullable Object> Resolvers<T> withResolvers() {
    return withResolvers(Loop.current());
  }

  /** A pending promise owned by {@code loop}, with its resolve and reject functions. */
  public static <T extends @Nullable Object> Resolvers<T> withResolvers(Loop loop) {
    return new Resolvers<>(new Promise<>(PromiseHost.of(requireNonNull(loop, "loop"))));
  }

  /** A promise of the current loop resolved with {@code value} (adopted if it is a stage). */
  public static <T extends @Nullable Object> Promise<T> resolve(T value) {
    return resolve(Loop.current(), value);
  }

  /** A promise of {@code loop} resolved with {@code value} (adopted if it is a stage). */
  public static <T extends @Nullable Object> Promise<T> resolve(Loop loop, T value) {
    Promise<T> p = new Promise<>(PromiseHost.of(requireNonNull(loop, "loop")));
    p.resolveWith(value);
    return p;
  }

  /** A promise of the current loop rejected with {@code reason}. */
  public static <T extends @Nullable Object> Promise<T> reject(Throwable reason) {
    return reject(Loop.current(), reason);
  }

  /** A promise of {@code loop} rejected with {@code reason}. */
  public static <T extends @Nullable Object> Promise<T> reject(Loop loop, Throwable reason) {
    requireNonNull(reason, "reason");
    Promise<T> p = new Promise<>(PromiseHost.of(requireNonNull(loop, "loop")));
    p.settle(new Failure(reason));
    return p;
  }

  /**
   * A promise of the current loop that resolves (to null) no sooner than {@code delay} from now.
   */
  public static Promise<Void> delay(Duration delay) {
    requireNonNull(delay, "delay");
    return PromiseHost.of(Loop.current()).delay(delay);
  }

  /**
   * A promise for every value of {@code promises}, in their order; rejected with the first
   * rejection (JavaScript's {@code Promise.all}). Owned by the current loop.
   */
  public static <T extends @Nullable Object> Promise<List<T>> all(
      List<? extends CompletionStage<? extends T>> promises) {
    Combiner<T, List<T>> c = new Combiner<>(promises);
    if (c.size == 0) {
      c.out.resolveWith(List.of());
    }
    c.forEach(
        (i, p) ->
            p.react(
                value -> {
                  c.values.set(i, value);
                  if (--c.remaining == 0) {
                    c.out.resolveWith(unmodifiable(c.values));
                  }
                },
                c.out::rejectWith));
    return c.out;
  }

  /** The outcome of each of {@code promises}, once all have settled ({@code allSettled}). */
  public static <T extends @Nullable Object> Promise<List<Settled<T>>> allSettled(
      List<? extends CompletionStage<? extends T>> promises) {
    Combiner<T, List<Settled<T>>> c = new Combiner<>(promises);
    List<Settled<T>> out = new ArrayList<>(c.size);
    for (int i = 0; i < c.size; i++) {
      out.add(null);
    }
    if (c.size == 0) {
      c.out.resolveWith(List.of());
    }
    c.forEach(
        (i, p) ->
            p.react(
                value -> {
                  out.set(i, new Settled<>(true, value, null));
                  if (--c.remaining == 0) {
                    c.out.resolveWith(unmodifiable(out));
                  }
                },
                reason -> {
                  out.set(i, new Settled<>(false, null, reason));
                  if (--c.remaining == 0) {
                    c.out.resolveWith(unmodifiable(out));
                  }
                }));
    return c.out;
  }

  /**
   * The first value among {@code promises}; rejected with an {@link AggregateException} of every
   * reason, in order, if all are rejected ({@code Promise.any}).
   */
  public static <T extends @Nullable Object> Promise<T> any(
      List<? extends CompletionStage<? extends T>> promises) {
    Combiner<T, T> c = new Combiner<>(promises);
    List<Throwable> errors = new ArrayList<>(c.size);
    for (int i = 0; i < c.size; i++) {
      errors.add(null);
    }
    if (c.size == 0) {
      c.out.rejectWith(new AggregateException("All promises were rejected", List.of()));
    }
    c.forEach(
        (i, p) ->
            p.react(
                c.out::resolveWith,
                reason -> {
                  errors.set(i, reason);
                  if (--c.remaining == 0) {
                    c.out.rejectWith(new AggregateException("All promises were rejected", errors));
                  }
                }));
    return c.out;
  }

  /** Settles as the first of {@code promises} to settle ({@code Promise.race}). */
  public static <T extends @Nullable Object> Promise<T> race(
      List<? extends CompletionStage<? extends T>> promises) {
    Combiner<T, T> c = new Combiner<>(promises);
    c.forEach((i, p) -> p.react(c.out::resolveWith, c.out::rejectWith));
    return c.out;
  }

  // ---- reactions -------------------------------------------------------------------------------

  /** JavaScript's {@code then(onFulfilled)}: a rejection passes through unchanged. */
  public <R extends @Nullable Object> Promise<R> then(
      Function<? super T, ? extends R> onFulfilled) {
    requireNonNull(onFulfilled, "onFulfilled");
    return chain(onFulfilled, null);
  }

  /** JavaScript's {@code then(onFulfilled, onRejected)}. */
  public <R extends @Nullable Object> Promise<R> then(
      Function<? super T, ? extends R> onFulfilled,
      Function<? super Throwable, ? extends R> onRejected) {
    requireNonNull(onFulfilled, "onFulfilled");
    requireNonNull(onRejected, "onRejected");
    return chain(onFulfilled, onRejected);
  }

  /** {@code then} with a handler that returns a stage, whose outcome the result adopts. */
  @Override
  public <R extends @Nullable Object> Promise<R> thenCompose(
      Function<? super T, ? extends CompletionStage<R>> onFulfilled) {
    return thenCompose0(onFulfilled, null);
  }

  /** JavaScript's {@code catch(onRejected)}: a value passes through unchanged. */
  public Promise<T> catchError(Function<? super Throwable, ? extends T> onRejected) {
    requireNonNull(onRejected, "onRejected");
    return chain(null, onRejected);
  }

  /**
   * JavaScript's {@code finally(onFinally)}: runs {@code onFinally} either way; the result settles
   * as this promise did, unless {@code onFinally} throws.
   */
  public Promise<T> andFinally(Runnable onFinally) {
    requireNonNull(onFinally, "onFinally");
    Promise<T> derived = new Promise<>(host);
    addReaction(
        new Reaction(this) {
          @Override
          public void abandon(LoopTerminatedException why) {
            derived.rejectWith(why);
          }

          @Override
          void onSettled(Object r) {
            try {
              onFinally.run();
            } catch (Throwable t) {
              Fatal.rethrowIfFatal(t);
              derived.rejectWith(t);
              return;
            }
            derived.settle(r);
          }
        });
    return derived;
  }

  private <R extends @Nullable Object> Promise<R> chain(
      @Nullable Function<? super T, ?> onFulfilled,
      @Nullable Function<? super Throwable, ?> onRejected) {
    Promise<R> derived = new Promise<>(host);
    addReaction(
        new Reaction(this) {
          @Override
          public void abandon(LoopTerminatedException why) {
            derived.rejectWith(why);
          }

          @Override
          void onSettled(Object r) {
            Object next;
            try {
              if (r instanceof Failure f) {
                if (onRejected == null) {
                  derived.settle(r);
                  return;
                }
                next = onRejected.apply(f.reason);
              } else {
                if (onFulfilled == null) {
                  derived.settle(r);
                  return;
                }
                next = onFulfilled.apply(valueOf(r));
              }
            } catch (Throwable t) {
              Fatal.rethrowIfFatal(t);
              derived.rejectWith(t);
              return;
            }
            derived.resolveWith(next);
          }
        });
    return derived;
  }

  /** Loop-side reaction without a derived promise, for the combinators. */
  private void react(
      java.util.function.Consumer<? super T> onValue,
      java.util.function.Consumer<Throwable> onReason) {
    addReaction(
        new Reaction(this) {
          @Override
          void onSettled(Object r) {
            if (r instanceof Failure f) {
              onReason.accept(f.reason);
            } else {
              onValue.accept(valueOf(r));
            }
          }

          @Override
          public void abandon(LoopTerminatedException why) {
            onReason.accept(why); // the combined promise settles too
          }
        });
  }

  // ---- CompletionStage: async variants default to the owning loop -----------------------------

  /** One step of a stage: reads the source's result and settles the derived promise. */
  @FunctionalInterface
  private interface Step<R extends @Nullable Object> {
    void apply(Object result, Promise<R> derived) throws Throwable;
  }

  private <R extends @Nullable Object> Promise<R> step(
      java.util.concurrent.@Nullable Executor executor, Step<R> step) {
    Promise<R> derived = new Promise<>(host);
    addReaction(
        new Reaction(this) {
          @Override
          public void abandon(LoopTerminatedException why) {
            derived.rejectWith(why);
          }

          @Override
          void onSettled(Object r) {
            if (executor == null) {
              runStep(step, r, derived);
              return;
            }
            try {
              executor.execute(() -> runStep(step, r, derived));
            } catch (Throwable t) {
              Fatal.rethrowIfFatal(t);
              derived.rejectWith(t);
            }
          }
        });
    return derived;
  }

  private static <R extends @Nullable Object> void runStep(
      Step<R> step, Object r, Promise<R> derived) {
    try {
      step.apply(r, derived);
    } catch (Throwable t) {
      Fatal.rethrowIfFatal(t);
      derived.rejectWith(t);
    }
  }

  /** Passes a rejection on to {@code derived}; true if it did. */
  private static boolean passFailure(Object r, Promise<?> derived) {
    if (r instanceof Failure) {
      derived.settle(r);
      return true;
    }
    return false;
  }

  // NullAway: null only where the value given was null, so a T (T may be a nullable type).
  // Static on purpose: the reactions call it, and an instance method would make each anonymous
  // reaction capture its promise a second time (this$0), a shape that made G1 copy a long chain
  // of pending promises serially and promote it (E's promise chain ran at a tenth of its speed).
  // (TypeParameterUnusedInFormals: the unchecked cast to the caller's T is the point)
  @SuppressWarnings({"unchecked", "NullAway", "TypeParameterUnusedInFormals"})
  private static <V extends @Nullable Object> V valueOf(@Nullable Object r) {
    return (V) unmask(r);
  }

  private static @Nullable Throwable reasonOf(Object r) {
    return r instanceof Failure f ? f.reason : null;
  }

  private java.util.concurrent.Executor async(java.util.concurrent.Executor executor) {
    return requireNonNull(executor, "executor");
  }

  /** This stage's other input as a promise of this loop. */
  @SuppressWarnings({"unchecked", "ReferenceEquality"}) // same host = same loop, by identity
  private <U extends @Nullable Object> Promise<U> local(CompletionStage<U> other) {
    requireNonNull(other, "other");
    if (other instanceof Promise<?> p && p.host == host) {
      return (Promise<U>) p;
    }
    Promise<U> p = new Promise<>(host);
    p.resolveWith(other);
    return p;
  }

  /** Fulfilled with both values once both are fulfilled; rejected by the first rejection. */
  private <U extends @Nullable Object> Promise<Object[]> both(CompletionStage<? extends U> other) {
    Promise<? extends U> o = local(other);
    Promise<Object[]> out = new Promise<>(host);
    Object[] values = new Object[2];
    int[] remaining = {2};
    this.react(
        v -> {
          values[0] = v;
          if (--remaining[0] == 0) {
            out.settle(values);
          }
        },
        out::rejectWith);
    o.react(
        v -> {
          values[1] = v;
          if (--remaining[0] == 0) {
            out.settle(values);
          }
        },
        out::rejectWith);
    return out;
  }

  /** Settles as the first of this and {@code other} to settle. */
  private Promise<T> either(CompletionStage<? extends T> other) {
    Promise<? extends T> o = local(other);
    Promise<T> out = new Promise<>(host);
    this.react(out::resolveWith, out::rejectWith);
    o.react(out::resolveWith, out::rejectWith);
    return out;
  }

  @Override
  public <U extends @Nullable Object> Promise<U> thenApply(Function<? super T, ? extends U> fn) {
    return thenApply0(fn, null);
  }

  @Override
  public <U extends @Nullable Object> Promise<U> thenApplyAsync(
      Function<? super T, ? extends U> fn) {
    return thenApply0(fn, host.loop());
  }

  @Override
  public <U extends @Nullable Object> Promise<U> thenApplyAsync(
      Function<? super T, ? extends U> fn, java.util.concurrent.Executor executor) {
    return thenApply0(fn, async(executor));
  }

  private <U extends @Nullable Object> Promise<U> thenApply0(
      Function<? super T, ? extends U> fn, java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(fn, "fn");
    return step(
        ex,
        (r, d) -> {
          if (!passFailure(r, d)) {
            d.settleValue(fn.apply(valueOf(r)));
          }
        });
  }

  @Override
  public Promise<Void> thenAccept(java.util.function.Consumer<? super T> action) {
    return thenAccept0(action, null);
  }

  @Override
  public Promise<Void> thenAcceptAsync(java.util.function.Consumer<? super T> action) {
    return thenAccept0(action, host.loop());
  }

  @Override
  public Promise<Void> thenAcceptAsync(
      java.util.function.Consumer<? super T> action, java.util.concurrent.Executor executor) {
    return thenAccept0(action, async(executor));
  }

  private Promise<Void> thenAccept0(
      java.util.function.Consumer<? super T> action, java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(action, "action");
    return step(
        ex,
        (r, d) -> {
          if (!passFailure(r, d)) {
            action.accept(valueOf(r));
            d.settleValue(null);
          }
        });
  }

  @Override
  public Promise<Void> thenRun(Runnable action) {
    return thenRun0(action, null);
  }

  @Override
  public Promise<Void> thenRunAsync(Runnable action) {
    return thenRun0(action, host.loop());
  }

  @Override
  public Promise<Void> thenRunAsync(Runnable action, java.util.concurrent.Executor executor) {
    return thenRun0(action, async(executor));
  }

  private Promise<Void> thenRun0(Runnable action, java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(action, "action");
    return step(
        ex,
        (r, d) -> {
          if (!passFailure(r, d)) {
            action.run();
            d.settleValue(null);
          }
        });
  }

  @Override
  public <U extends @Nullable Object, V extends @Nullable Object> Promise<V> thenCombine(
      CompletionStage<? extends U> other,
      java.util.function.BiFunction<? super T, ? super U, ? extends V> fn) {
    return thenCombine0(other, fn, null);
  }

  @Override
  public <U extends @Nullable Object, V extends @Nullable Object> Promise<V> thenCombineAsync(
      CompletionStage<? extends U> other,
      java.util.function.BiFunction<? super T, ? super U, ? extends V> fn) {
    return thenCombine0(other, fn, host.loop());
  }

  @Override
  public <U extends @Nullable Object, V extends @Nullable Object> Promise<V> thenCombineAsync(
      CompletionStage<? extends U> other,
      java.util.function.BiFunction<? super T, ? super U, ? extends V> fn,
      java.util.concurrent.Executor executor) {
    return thenCombine0(other, fn, async(executor));
  }

  @SuppressWarnings("unchecked")
  private <U extends @Nullable Object, V extends @Nullable Object> Promise<V> thenCombine0(
      CompletionStage<? extends U> other,
      java.util.function.BiFunction<? super T, ? super U, ? extends V> fn,
      java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(fn, "fn");
    return both(other)
        .step(
            ex,
            (r, d) -> {
              if (!passFailure(r, d)) {
                Object[] v = (Object[]) r;
                d.settleValue(fn.apply((T) v[0], (U) v[1]));
              }
            });
  }

  @Override
  public <U extends @Nullable Object> Promise<Void> thenAcceptBoth(
      CompletionStage<? extends U> other,
      java.util.function.BiConsumer<? super T, ? super U> action) {
    return thenAcceptBoth0(other, action, null);
  }

  @Override
  public <U extends @Nullable Object> Promise<Void> thenAcceptBothAsync(
      CompletionStage<? extends U> other,
      java.util.function.BiConsumer<? super T, ? super U> action) {
    return thenAcceptBoth0(other, action, host.loop());
  }

  @Override
  public <U extends @Nullable Object> Promise<Void> thenAcceptBothAsync(
      CompletionStage<? extends U> other,
      java.util.function.BiConsumer<? super T, ? super U> action,
      java.util.concurrent.Executor executor) {
    return thenAcceptBoth0(other, action, async(executor));
  }

  private <U extends @Nullable Object> Promise<Void> thenAcceptBoth0(
      CompletionStage<? extends U> other,
      java.util.function.BiConsumer<? super T, ? super U> action,
      java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(action, "action");
    return thenCombine0(
        other,
        (a, b) -> {
          action.accept(a, b);
          return null;
        },
        ex);
  }

  @Override
  public Promise<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
    return runAfterBoth0(other, action, null);
  }

  @Override
  public Promise<Void> runAfterBothAsync(CompletionStage<?> other, Runnable action) {
    return runAfterBoth0(other, action, host.loop());
  }

  @Override
  public Promise<Void> runAfterBothAsync(
      CompletionStage<?> other, Runnable action, java.util.concurrent.Executor executor) {
    return runAfterBoth0(other, action, async(executor));
  }

  private Promise<Void> runAfterBoth0(
      CompletionStage<?> other, Runnable action, java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(action, "action");
    return thenCombine0(
        other,
        (a, b) -> {
          action.run();
          return null;
        },
        ex);
  }

  @Override
  public <U extends @Nullable Object> Promise<U> applyToEither(
      CompletionStage<? extends T> other, Function<? super T, U> fn) {
    requireNonNull(fn, "fn");
    return either(other).thenApply0(fn, null);
  }

  @Override
  public <U extends @Nullable Object> Promise<U> applyToEitherAsync(
      CompletionStage<? extends T> other, Function<? super T, U> fn) {
    requireNonNull(fn, "fn");
    return either(other).thenApply0(fn, host.loop());
  }

  @Override
  public <U extends @Nullable Object> Promise<U> applyToEitherAsync(
      CompletionStage<? extends T> other,
      Function<? super T, U> fn,
      java.util.concurrent.Executor executor) {
    requireNonNull(fn, "fn");
    return either(other).thenApply0(fn, async(executor));
  }

  @Override
  public Promise<Void> acceptEither(
      CompletionStage<? extends T> other, java.util.function.Consumer<? super T> action) {
    requireNonNull(action, "action");
    return either(other).thenAccept0(action, null);
  }

  @Override
  public Promise<Void> acceptEitherAsync(
      CompletionStage<? extends T> other, java.util.function.Consumer<? super T> action) {
    requireNonNull(action, "action");
    return either(other).thenAccept0(action, host.loop());
  }

  @Override
  public Promise<Void> acceptEitherAsync(
      CompletionStage<? extends T> other,
      java.util.function.Consumer<? super T> action,
      java.util.concurrent.Executor executor) {
    requireNonNull(action, "action");
    return either(other).thenAccept0(action, async(executor));
  }

  @Override
  public Promise<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
    return runAfterEither0(other, action, null);
  }

  @Override
  public Promise<Void> runAfterEitherAsync(CompletionStage<?> other, Runnable action) {
    return runAfterEither0(other, action, host.loop());
  }

  @Override
  public Promise<Void> runAfterEitherAsync(
      CompletionStage<?> other, Runnable action, java.util.concurrent.Executor executor) {
    return runAfterEither0(other, action, async(executor));
  }

  @SuppressWarnings("unchecked")
  private Promise<Void> runAfterEither0(
      CompletionStage<?> other, Runnable action, java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(action, "action");
    return ((Promise<Object>) this).either((CompletionStage<Object>) other).thenRun0(action, ex);
  }

  @Override
  public <U extends @Nullable Object> Promise<U> thenComposeAsync(
      Function<? super T, ? extends CompletionStage<U>> fn) {
    return thenCompose0(fn, host.loop());
  }

  @Override
  public <U extends @Nullable Object> Promise<U> thenComposeAsync(
      Function<? super T, ? extends CompletionStage<U>> fn,
      java.util.concurrent.Executor executor) {
    return thenCompose0(fn, async(executor));
  }

  private <U extends @Nullable Object> Promise<U> thenCompose0(
      Function<? super T, ? extends CompletionStage<U>> fn,
      java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(fn, "fn");
    return step(
        ex,
        (r, d) -> {
          if (!passFailure(r, d)) {
            d.adoptOrFail(fn.apply(valueOf(r)));
          }
        });
  }

  @Override
  public <U extends @Nullable Object> Promise<U> handle(
      java.util.function.BiFunction<? super T, Throwable, ? extends U> fn) {
    return handle0(fn, null);
  }

  @Override
  public <U extends @Nullable Object> Promise<U> handleAsync(
      java.util.function.BiFunction<? super T, Throwable, ? extends U> fn) {
    return handle0(fn, host.loop());
  }

  @Override
  public <U extends @Nullable Object> Promise<U> handleAsync(
      java.util.function.BiFunction<? super T, Throwable, ? extends U> fn,
      java.util.concurrent.Executor executor) {
    return handle0(fn, async(executor));
  }

  private <U extends @Nullable Object> Promise<U> handle0(
      java.util.function.BiFunction<? super T, Throwable, ? extends U> fn,
      java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(fn, "fn");
    return step(
        ex,
        (r, d) -> {
          Throwable reason = reasonOf(r);
          d.settleValue(fn.apply(reason == null ? valueOf(r) : null, reason));
        });
  }

  @Override
  public Promise<T> whenComplete(
      java.util.function.BiConsumer<? super T, ? super Throwable> action) {
    return whenComplete0(action, null);
  }

  @Override
  public Promise<T> whenCompleteAsync(
      java.util.function.BiConsumer<? super T, ? super Throwable> action) {
    return whenComplete0(action, host.loop());
  }

  @Override
  public Promise<T> whenCompleteAsync(
      java.util.function.BiConsumer<? super T, ? super Throwable> action,
      java.util.concurrent.Executor executor) {
    return whenComplete0(action, async(executor));
  }

  @SuppressWarnings("ReferenceEquality") // a throwable cannot suppress itself (identity)
  private Promise<T> whenComplete0(
      java.util.function.BiConsumer<? super T, ? super Throwable> action,
      java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(action, "action");
    return step(
        ex,
        (r, d) -> {
          Throwable reason = reasonOf(r);
          try {
            action.accept(reason == null ? valueOf(r) : null, reason);
          } catch (Throwable t) {
            Fatal.rethrowIfFatal(t);
            if (reason != null) {
              if (reason != t) {
                reason.addSuppressed(t);
              }
            } else {
              d.rejectWith(t);
              return;
            }
          }
          d.settle(r);
        });
  }

  @Override
  public Promise<T> exceptionally(Function<Throwable, ? extends T> fn) {
    return exceptionally0(fn, null);
  }

  @Override
  public Promise<T> exceptionallyAsync(Function<Throwable, ? extends T> fn) {
    return exceptionally0(fn, host.loop());
  }

  @Override
  public Promise<T> exceptionallyAsync(
      Function<Throwable, ? extends T> fn, java.util.concurrent.Executor executor) {
    return exceptionally0(fn, async(executor));
  }

  private Promise<T> exceptionally0(
      Function<Throwable, ? extends T> fn, java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(fn, "fn");
    return step(
        ex,
        (r, d) -> {
          Throwable reason = reasonOf(r);
          if (reason == null) {
            d.settle(r);
          } else {
            d.settleValue(fn.apply(reason));
          }
        });
  }

  @Override
  public Promise<T> exceptionallyCompose(Function<Throwable, ? extends CompletionStage<T>> fn) {
    return exceptionallyCompose0(fn, null);
  }

  @Override
  public Promise<T> exceptionallyComposeAsync(
      Function<Throwable, ? extends CompletionStage<T>> fn) {
    return exceptionallyCompose0(fn, host.loop());
  }

  @Override
  public Promise<T> exceptionallyComposeAsync(
      Function<Throwable, ? extends CompletionStage<T>> fn,
      java.util.concurrent.Executor executor) {
    return exceptionallyCompose0(fn, async(executor));
  }

  private Promise<T> exceptionallyCompose0(
      Function<Throwable, ? extends CompletionStage<T>> fn,
      java.util.concurrent.@Nullable Executor ex) {
    requireNonNull(fn, "fn");
    return step(
        ex,
        (r, d) -> {
          Throwable reason = reasonOf(r);
          if (reason == null) {
            d.settle(r);
          } else {
            d.adoptOrFail(fn.apply(reason));
          }
        });
  }

  /** Settles with a plain value (a stage is a value here, not adopted: CompletionStage rules). */
  private void settleValue(@Nullable Object value) {
    settle(value == null ? NULL_VALUE : value);
  }

  private void adoptOrFail(CompletionStage<?> stage) {
    if (stage == null) {
      rejectWith(new NullPointerException("the function returned a null stage"));
    } else if (stage == this) {
      rejectWith(new IllegalArgumentException("a promise cannot be resolved with itself"));
    } else {
      adopt(stage);
    }
  }

  // ---- cancellation and interop ---------------------------------------------------------------

  /**
   * Cancels this promise: rejects it with a {@link CancellationException} if it is still pending,
   * and stops the work behind it (an offload is interrupted when {@code mayInterruptIfRunning}).
   * Returns false if it had already settled.
   */
  public boolean cancel(boolean mayInterruptIfRunning) {
    if (!rejectWith(new CancellationException("the promise was cancelled"))) {
      return false;
    }
    java.util.function.Consumer<Boolean> c = canceller;
    if (c != null) {
      c.accept(mayInterruptIfRunning);
    }
    return true;
  }

  /** Whether this promise was cancelled (rejected with a {@link CancellationException}). */
  public boolean isCancelled() {
    return result instanceof Failure f && f.reason instanceof CancellationException;
  }

  /** A promise of {@code loop} that settles as {@code stage} completes (adopting it). */
  public static <T extends @Nullable Object> Promise<T> from(
      Loop loop, CompletionStage<? extends T> stage) {
    requireNonNull(stage, "stage");
    Promise<T> p = new Promise<>(PromiseHost.of(requireNonNull(loop, "loop")));
    if (stage instanceof java.util.concurrent.Future<?> f) {
      p.canceller = f::cancel;
    }
    p.resolveWith(stage);
    return p;
  }

  // ---- state -----------------------------------------------------------------------------------

  /** The loop whose microtasks run this promise's reactions. */
  public Loop loop() {
    return host.loop();
  }

  /** Whether this promise is neither fulfilled nor rejected yet. */
  public boolean isPending() {
    return result == null;
  }

  /** Whether this promise was fulfilled. */
  public boolean isFulfilled() {
    Object r = result;
    return r != null && !(r instanceof Failure);
  }

  /** Whether this promise was rejected. */
  public boolean isRejected() {
    return result instanceof Failure;
  }

  /**
   * The value of a fulfilled promise.
   *
   * @throws IllegalStateException if it is pending or was rejected (the reason as the cause)
   */
  public T value() {
    Object r = result;
    if (r == null) {
      throw new IllegalStateException("promise is pending");
    }
    if (r instanceof Failure f) {
      throw new IllegalStateException("promise was rejected", f.reason);
    }
    return valueOf(r);
  }

  /**
   * The reason of a rejected promise.
   *
   * @throws IllegalStateException if it is pending or was fulfilled
   */
  public Throwable reason() {
    Object r = result;
    if (r instanceof Failure f) {
      return f.reason;
    }
    throw new IllegalStateException(r == null ? "promise is pending" : "promise was fulfilled");
  }

  /**
   * JavaScript's {@code await}: the value of this promise, or its reason thrown (a {@link
   * RuntimeException} or {@link Error} as it is, a checked exception as the cause of a {@link
   * CompletionException}).
   *
   * <p>On the {@code virtual} carrier, called in a callback of a loop, it suspends that callback:
   * the loop runs other callbacks meanwhile, and the callback resumes as this promise's reaction (a
   * microtask), even if the promise has already settled. Off any loop's thread it blocks until the
   * promise settles.
   *
   * @throws IllegalStateException on the thread of a loop whose carrier cannot suspend callbacks
   *     (use {@link #then})
   * @throws LoopTerminatedException if the loop ended while the callback was suspended
   */
  public T await() {
    if (suspendUntilSettled("Promise.await()")) {
      return valueOrThrow(result);
    }
    try {
      blocking().get();
    } catch (ExecutionException | CancellationException e) {
      // reported below from the result
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException("interrupted while awaiting a promise", e);
    }
    return valueOrThrow(result);
  }

  /**
   * On a loop's thread: suspends the running callback until this promise settles (virtual carrier),
   * resuming it as a reaction on that loop. False off every loop's thread.
   *
   * @throws IllegalStateException on a loop whose carrier cannot suspend callbacks
   */
  @SuppressWarnings("ReferenceEquality") // same host = same loop, by identity
  private boolean suspendUntilSettled(String call) {
    PromiseHost current = PromiseHost.currentOrNull();
    if (current == null || !current.inEventLoop()) {
      return false;
    }
    Suspensions.Suspension s = current.beginSuspension(call);
    Promise<T> local = current == host ? this : from(current.loop(), this);
    local.addReaction(
        new Reaction(local) {
          @Override
          void onSettled(Object r) {
            current.resume(s);
          }
        });
    current.suspend(s);
    return true;
  }

  private T valueOrThrow(@Nullable Object r) {
    if (r instanceof Failure f) {
      if (f.reason instanceof RuntimeException e) {
        throw e;
      }
      if (f.reason instanceof Error e) {
        throw e;
      }
      throw new CompletionException(f.reason);
    }
    return valueOf(r);
  }

  /**
   * Waits for this promise and returns its value.
   *
   * @throws ExecutionException with the reason as its cause if it was rejected
   * @throws IllegalStateException if called, while pending, on the thread of a loop whose carrier
   *     cannot suspend callbacks (use {@link #then})
   */
  public T get() throws InterruptedException, ExecutionException {
    if (result == null) {
      suspendUntilSettled("Promise.get()");
    }
    return blocking().get();
  }

  /** As {@link #get()}, waiting at most {@code timeout}. */
  public T get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (result == null) {
      suspendUntilSettled("Promise.get(timeout)");
    }
    return blocking().get(timeout, unit);
  }

  /**
   * Waits for this promise and returns its value; a rejection is thrown as a {@link
   * CompletionException} with the reason as its cause.
   *
   * @throws IllegalStateException if called on the owning loop's thread (use {@link #then})
   */
  public T join() {
    if (result == null) {
      suspendUntilSettled("Promise.join()");
    }
    return blocking().join();
  }

  /**
   * A {@link CompletableFuture} completed as this promise settles, on the thread that settles it
   * (independent of the loop's turns). A cancelled promise gives a cancelled future ({@code copy()}
   * would wrap the cancellation in a CompletionException and not report it).
   */
  @Override
  @SuppressWarnings("FutureReturnValueIgnored") // the callback only completes `out`: it cannot fail
  public CompletableFuture<T> toCompletableFuture() {
    CompletableFuture<T> out = new CompletableFuture<>();
    blocking()
        .whenComplete(
            (v, e) -> {
              if (e == null) {
                out.complete(v);
              } else if (e instanceof CancellationException) {
                out.cancel(false);
              } else {
                out.completeExceptionally(e);
              }
            });
    return out;
  }

  @SuppressWarnings("unchecked")
  private CompletableFuture<T> blocking() {
    CompletableFuture<T> m = mirror;
    if (m == null) {
      CompletableFuture<T> made = new CompletableFuture<>();
      m = (CompletableFuture<T>) MIRROR.compareAndExchange(this, null, made);
      if (m == null) {
        m = made;
      }
    }
    Object r = result;
    if (r != null) {
      complete(m, r);
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  private void complete(CompletableFuture<T> m, Object r) {
    if (r instanceof Failure f) {
      if (f.reason instanceof CancellationException) {
        m.cancel(false);
      } else {
        m.completeExceptionally(f.reason);
      }
    } else {
      m.complete((T) unmask(r));
    }
  }

  @Override
  public String toString() {
    Object r = result;
    String state =
        r == null ? "pending" : r instanceof Failure f ? "rejected: " + f.reason : "fulfilled";
    return "Promise[" + state + "]";
  }

  // ---- settling (any thread) -------------------------------------------------------------------

  /** Resolves with {@code value}, adopting it if it is a stage. False if already settled. */
  boolean resolveWith(@Nullable Object value) {
    if (value == this) {
      return rejectWith(new IllegalArgumentException("a promise cannot be resolved with itself"));
    }
    if (value instanceof CompletionStage<?> stage) {
      if (result != null) {
        return false;
      }
      adopt(stage);
      return true;
    }
    return settle(value == null ? NULL_VALUE : value);
  }

  boolean rejectWith(Throwable reason) {
    return settle(new Failure(requireNonNull(reason, "reason")));
  }

  /**
   * Adopts {@code stage}'s outcome. For a promise this takes two microtask hops, as JavaScript's
   * NewPromiseResolveThenableJob; for a foreign stage, its completion is handed to the loop.
   */
  @SuppressWarnings("ReferenceEquality") // same host = same loop, by identity
  private void adopt(CompletionStage<?> stage) {
    if (stage instanceof Promise<?> p && p.host == host) {
      Adoption hop = new Adoption(p);
      boolean queued;
      if (!host.inEventLoop()) {
        queued = host.handIn(() -> host.queueReaction(hop));
      } else if (host.terminatedHere()) {
        queued = false;
      } else {
        host.queueReaction(hop);
        queued = true;
      }
      if (!queued) {
        hop.abandon(host.terminatedException());
      }
    } else {
      stage.whenComplete(
          (v, e) -> {
            if (e != null) {
              rejectWith(unwrap(e));
            } else {
              resolveWith(v);
            }
          });
    }
  }

  /** The first hop of adopting a promise of the same loop (a microtask, as JavaScript's). */
  private final class Adoption implements Runnable, Abandonable {
    private final Promise<?> source;

    Adoption(Promise<?> source) {
      this.source = source;
    }

    @Override
    public void run() {
      source.addReaction(
          new Reaction(source) {
            @Override
            public void abandon(LoopTerminatedException why) {
              Promise.this.rejectWith(why);
            }

            @Override
            void onSettled(Object r) {
              settle(r);
            }
          });
    }

    @Override
    public void abandon(LoopTerminatedException why) {
      rejectWith(why);
    }
  }

  private boolean settle(Object r) {
    if (!RESULT.compareAndSet(this, null, r)) {
      return false;
    }
    CompletableFuture<T> m = mirror;
    if (m != null) {
      complete(m, r);
    }
    if (host.inEventLoop()) {
      dispatch();
    } else if (!host.handIn(this::dispatch)) {
      abandonReactions(); // the loop has terminated: no reaction can run
    }
    return true;
  }

  // ---- reactions (loop thread; after termination, the thread that settles or adds) -------------

  private static final ThreadLocal<ArrayDeque<Abandonable>> ABANDONING = new ThreadLocal<>();

  /**
   * Settles what {@code owed} owed with LoopTerminatedException, and what that settles in turn,
   * iteratively (a long chain must not grow the stack).
   */
  private void abandon(Object owed) {
    ArrayDeque<Abandonable> queue = ABANDONING.get();
    boolean drains = queue == null;
    if (drains) {
      queue = new ArrayDeque<>();
      ABANDONING.set(queue);
    }
    if (owed instanceof Abandonable one) {
      queue.add(one);
    } else {
      @SuppressWarnings("unchecked")
      List<Abandonable> list = (List<Abandonable>) owed;
      queue.addAll(list);
    }
    if (!drains) {
      return; // the outer call goes on with it
    }
    try {
      LoopTerminatedException why = host.terminatedException();
      for (Abandonable a; (a = queue.poll()) != null; ) {
        a.abandon(why);
      }
    } finally {
      ABANDONING.remove();
    }
  }

  /** After termination: each reaction's derived promise is rejected instead. */
  private void abandonReactions() {
    dispatched = true;
    Object rs = reactions;
    reactions = null;
    if (rs != null) {
      abandon(rs);
    }
  }

  private void dispatch() {
    if (host.terminatedHere()) {
      abandonReactions();
      return;
    }
    dispatched = true;
    Object rs = reactions;
    reactions = null;
    if (rs == null) {
      if (result instanceof Failure && !handled) {
        host.trackRejection(new Unhandled(this));
      }
    } else if (rs instanceof Reaction one) {
      host.queueReaction(one);
    } else {
      @SuppressWarnings("unchecked")
      List<Reaction> list = (List<Reaction>) rs;
      for (Reaction r : list) {
        host.queueReaction(r);
      }
    }
  }

  @SuppressWarnings("ReferenceEquality") // capture returns its argument when nothing to carry
  private void addReaction(Reaction reaction) {
    if (PromiseHost.capturing()) { // (free until a LoopLocal or a decorator is used)
      Runnable c = host.capture(reaction); // on the adding thread: its context
      if (c != reaction) {
        reaction = new Captured(reaction, c);
      }
    }
    enqueueReaction(reaction);
  }

  private void enqueueReaction(Reaction reaction) {
    if (!host.inEventLoop()) {
      if (!host.handIn(() -> enqueueReaction(reaction))) {
        abandon(reaction); // the loop has terminated: it could never run
      }
      return;
    }
    if (host.terminatedHere()) {
      abandon(reaction);
      return;
    }
    handled = true;
    if (dispatched) {
      host.queueReaction(reaction);
    } else if (reactions == null) {
      reactions = reaction;
    } else if (reactions instanceof Reaction one) {
      List<Reaction> list = new ArrayList<>(4);
      list.add(one);
      list.add(reaction);
      reactions = list;
    } else {
      @SuppressWarnings("unchecked")
      List<Reaction> list = (List<Reaction>) reactions;
      list.add(reaction);
    }
  }

  /** A rejection with no handler yet, as the loop sees it at the end of the checkpoint. */
  private static final class Unhandled implements PromiseHost.Rejection {
    private final Promise<?> promise;

    Unhandled(Promise<?> promise) {
      this.promise = promise;
    }

    @Override
    public boolean unhandled() {
      return promise.result instanceof Failure && !promise.handled;
    }

    @Override
    @SuppressWarnings("NullAway") // asked only after unhandled() saw the Failure
    public Throwable reason() {
      return ((Failure) promise.result).reason;
    }
  }

  private static @Nullable Object unmask(Object r) {
    return r == NULL_VALUE ? null : r;
  }

  private static Throwable unwrap(Throwable e) {
    if ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      return e.getCause();
    }
    return e;
  }

  private static <E extends @Nullable Object> List<E> unmodifiable(List<E> list) {
    return java.util.Collections.unmodifiableList(list);
  }

  /** A rejection reason, boxed so that it cannot be mistaken for a value. */
  private record Failure(Throwable reason) {}

  /** A reaction: a microtask that reads the settled result of its source. */
  private abstract static class Reaction implements Runnable, Abandonable {
    private final Promise<?> source;

    Reaction(Promise<?> source) {
      this.source = source;
    }

    /** The loop ended before this reaction could run: nothing owed, unless a subclass says. */
    @Override
    public void abandon(LoopTerminatedException why) {}

    abstract void onSettled(Object result);

    @Override
    @SuppressWarnings("NullAway") // queued only once the source has settled: its result is set
    public final void run() {
      onSettled(source.result);
    }
  }

  /**
   * A reaction that carries the context of the code that added it (and the loop's task decorator's
   * wrapper): made only once something may need carrying.
   */
  private static final class Captured extends Reaction {
    private final Reaction reaction;
    private final Runnable decorated; // runs the reaction with its context

    Captured(Reaction reaction, Runnable decorated) {
      super(reaction.source);
      this.reaction = reaction;
      this.decorated = decorated;
    }

    @Override
    void onSettled(Object result) {
      decorated.run();
    }

    @Override
    public void abandon(LoopTerminatedException why) {
      reaction.abandon(why);
    }
  }

  /** Adopts each input into a promise of the output's loop and counts what is left. */
  private static final class Combiner<T extends @Nullable Object, O extends @Nullable Object> {
    final Promise<O> out;
    final List<? extends CompletionStage<? extends T>> inputs;
    final List<T> values;
    final int size;
    int remaining;

    Combiner(List<? extends CompletionStage<? extends T>> inputs) {
      requireNonNull(inputs, "promises");
      for (int i = 0; i < inputs.size(); i++) {
        requireNonNull(inputs.get(i), "promises[" + i + "]");
      }
      this.out = new Promise<>(PromiseHost.of(Loop.current()));
      this.inputs = inputs;
      this.size = inputs.size();
      this.remaining = size;
      this.values = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        values.add(null);
      }
    }

    @SuppressWarnings({"unchecked", "ReferenceEquality"}) // same host = same loop, by identity
    void forEach(Each<T> body) {
      for (int i = 0; i < size; i++) {
        CompletionStage<? extends T> s = inputs.get(i);
        Promise<T> p;
        if (s instanceof Promise<?> q && q.host == out.host) {
          p = (Promise<T>) q;
        } else {
          p = new Promise<>(out.host);
          p.resolveWith(s);
        }
        body.accept(i, p);
      }
    }
  }

  @FunctionalInterface
  private interface Each<T extends @Nullable Object> {
    void accept(int index, Promise<T> promise);
  }

  /** A pending promise with the functions that settle it; both may be called from any thread. */
  public static final class Resolvers<T extends @Nullable Object> {
    private final Promise<T> promise;
    private final java.util.concurrent.atomic.AtomicBoolean resolved =
        new java.util.concurrent.atomic.AtomicBoolean();

    Resolvers(Promise<T> promise) {
      this.promise = promise;
    }

    public Promise<T> promise() {
      return promise;
    }

    /**
     * Resolves the promise (adopting {@code value} if it is a stage); false if already resolved:
     * settled, or locked in to follow a stage (JavaScript's resolving functions work once).
     */
    public boolean resolve(T value) {
      return resolved.compareAndSet(false, true) && promise.resolveWith(value);
    }

    /** Rejects the promise; false if already resolved (see {@link #resolve}). */
    public boolean reject(Throwable reason) {
      requireNonNull(reason, "reason");
      return resolved.compareAndSet(false, true) && promise.rejectWith(reason);
    }

    /**
     * Sets what stops the work behind the promise when it is cancelled; it receives {@code
     * mayInterruptIfRunning}. Runs on the cancelling thread.
     */
    public Resolvers<T> onCancel(java.util.function.Consumer<Boolean> canceller) {
      promise.canceller = requireNonNull(canceller, "canceller");
      return this;
    }
  }

  /**
   * One outcome reported by {@link #allSettled}.
   *
   * @param fulfilled whether the promise was fulfilled
   * @param value its value when fulfilled
   * @param reason its reason when rejected
   */
  public record Settled<T extends @Nullable Object>(
      boolean fulfilled, @Nullable T value, @Nullable Throwable reason) {}
}
