package dev.loopkit.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the one place allowed a call the build forbids elsewhere (the forbidden-apis check): the
 * system clock behind {@code LoopClock.system()}.
 */
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface SuppressForbidden {
  /** Why the call is allowed here. */
  String reason();
}
