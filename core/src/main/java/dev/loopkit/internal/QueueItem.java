package dev.loopkit.internal;

/**
 * An item of the poll queue that is the loop's own rather than a user's task: a timer or an
 * immediate made off the loop (it joins its phase), or a hand-in (it runs as a poll callback).
 * Every other item is a user's {@code Runnable}.
 */
sealed interface QueueItem permits LoopTimer, ImmediateTask, PollQueue.HandIn {}
