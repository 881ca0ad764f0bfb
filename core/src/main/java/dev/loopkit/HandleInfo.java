package dev.loopkit;

import java.time.Duration;
import java.util.Optional;

/**
 * A snapshot of one active handle, as listed by {@link Loop#activeHandles()}.
 *
 * @param kind what the handle is ({@code timeout}, {@code interval}, {@code immediate}, {@code
 *     keepAlive}, {@code offload})
 * @param id the handle's id, unique within its loop
 * @param ref whether it holds the loop open
 * @param dueIn for a timer, how long until it is due (zero or negative if overdue); empty for
 *     handles without a deadline
 */
public record HandleInfo(String kind, long id, boolean ref, Optional<Duration> dueIn) {}
