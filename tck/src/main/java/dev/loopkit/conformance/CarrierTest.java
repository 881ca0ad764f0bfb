package dev.loopkit.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A conformance test: written once, run once per carrier set-up ({@link CarrierSetup}), with the
 * set-up's name in the display name. The test method takes a {@link LoopFixture} parameter.
 *
 * <p>{@code -Dloopkit.test.setups=single-thread,manual} runs a subset.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(CarrierSetups.class)
public @interface CarrierTest {
  /** Capabilities a set-up must have for this test to run on it. */
  Capability[] requires() default {};
}
