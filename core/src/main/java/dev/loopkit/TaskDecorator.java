package dev.loopkit;

/**
 * Wraps each callback a loop is given, at the moment it is given (as Reactor's {@code
 * onScheduleHook} or Spring's {@code TaskDecorator}): typically to capture some state of the
 * scheduling thread — a logging MDC, a trace — and to put it back around the callback when it runs.
 * Set it with {@link LoopConfig.Builder#taskDecorator}.
 *
 * <p>What it sees, on the thread that schedules, once per call: the callbacks of {@code nextTick},
 * {@code queueMicrotask}, {@code setImmediate}, {@code setTimeout} and {@code setInterval} (one
 * decoration for all the runs of an interval); the task of {@code execute} and, for {@code submit}
 * and {@code invokeAll/Any}, the future task that runs it; the command of {@code
 * schedule(Runnable…)}, {@code scheduleAtFixedRate} and {@code scheduleWithFixedDelay} (one for all
 * their runs); for {@code schedule(Callable…)} and {@code offload}, a {@code Runnable} that calls
 * the task (an offload's runs on the pool's worker); and each reaction of a {@link Promise} ({@code
 * then}, {@code catchError}, {@code andFinally}, the {@code CompletionStage} methods, the
 * combinators' and {@code await}'s own), when it is added. It does not see the loop's own work
 * (timers of {@code Promise.delay}, hand-ins, completions), nor I/O and close callbacks.
 *
 * <p>It should return quickly and never null; what it returns runs in place of the callback, on the
 * loop (or the worker), with the loop's usual error routing: it must run the callback it was given,
 * once per run, and let what that throws pass. What the decorator itself throws reaches the caller
 * that scheduled the callback, which is then not scheduled; a null result throws {@link
 * NullPointerException} there.
 */
@FunctionalInterface
public interface TaskDecorator {
  /** The callback to run in place of {@code task}; called on the scheduling thread. */
  Runnable decorate(Runnable task);
}
