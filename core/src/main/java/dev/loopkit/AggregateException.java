package dev.loopkit;

import java.util.List;

/**
 * Every promise given to {@link Promise#any} was rejected (JavaScript's {@code AggregateError}).
 */
public final class AggregateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient List<Throwable> errors;

  public AggregateException(String message, List<Throwable> errors) {
    super(message);
    this.errors = List.copyOf(errors);
    errors.forEach(this::addSuppressed);
  }

  /** The rejection reasons, in the order of the promises given. */
  public List<Throwable> errors() {
    return errors;
  }
}
