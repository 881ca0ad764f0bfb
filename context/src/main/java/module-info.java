/**
 * loopkit's bridge to Micrometer's context-propagation: a task decorator that carries the
 * ThreadLocals context-propagation knows (a logging MDC, a trace) to every callback a loop runs.
 *
 * <p>The core needs no context-propagation; this module is for users who have it already.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // it has no module-info
module dev.loopkit.context {
  exports dev.loopkit.context;

  requires transitive dev.loopkit.core; // the API returns a TaskDecorator
  requires transitive context.propagation; // ... and takes a ContextSnapshotFactory
  // the API's nullness annotations: for compilers and tools, not needed at run time (not
  // transitive: a module that requires this one would then need JSpecify to compile)
  requires static org.jspecify;
}
