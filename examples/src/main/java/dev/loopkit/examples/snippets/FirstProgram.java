package dev.loopkit.examples.snippets;

// snippet:first-program
import dev.loopkit.Loop;
import java.nio.file.Files;
import java.nio.file.Path;

// end-snippet

/**
 * The first program of the README and the site's "Getting started": the build runs it and checks
 * that it prints what those pages say it prints.
 */
public final class FirstProgram {
  private FirstProgram() {}

  public static void main(String[] args) {
    // snippet:first-program
    Loop.run( // program mode: returns when nothing is left to do
        () -> {
          Loop loop = Loop.current();
          loop.setImmediate(() -> System.out.println("immediate"));
          loop.offload(() -> Files.readString(Path.of("pom.xml"))) // on an io pool thread
              .thenAccept( // back on the loop
                  text -> {
                    System.out.println("read " + text.length() + " chars");
                    loop.setTimeout(() -> System.out.println("timeout"), 0);
                    loop.setImmediate(() -> System.out.println("immediate after the read"));
                  });
          loop.nextTick(() -> System.out.println("tick"));
          System.out.println("main");
        });
    // end-snippet
  }
}
