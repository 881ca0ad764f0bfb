package dev.loopkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.loopkit.LoopConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The walkthrough prints the tutorial's lines in the tutorial's order, and ends. */
class WalkthroughTest {

  // Each entry is the start of a line; they must appear in this relative order.
  private static final List<String> TUTORIAL =
      List.of(
          "loopkit walkthrough on the ",
          "Scene 1",
          "Task 1 started",
          "Task 2 started",
          "  max loop delay: ",
          "Scene 2",
          "Request 1 started",
          "Request 2 started",
          "File reading completed",
          "  max loop delay: ",
          "Scene 3",
          "Hashing started",
          "Handling other requests",
          "Hash generated",
          "  served ",
          "  max loop delay: ",
          "Scene 4",
          "User 1 started",
          "User 2 started",
          "User 3 started",
          "User 1: file read (12 bytes)",
          "User 2: database answered",
          "User 3: HTTP answered 200",
          "  total ",
          "  max loop delay: ");

  private static final Pattern TOTAL = Pattern.compile("  total (\\d+) ms: (.*)");
  private static final Pattern SERVED = Pattern.compile("  served (\\d+) other callbacks.*");

  @Test
  void singleThreadCarrierPrintsTheTutorialInOrderAndServesTheUsersTogether() {
    List<String> lines = walkthrough("single-thread");

    assertEquals("loopkit walkthrough on the single-thread carrier", lines.get(0));
    assertInOrder(lines);

    Matcher served = matchLine(lines, SERVED);
    assertTrue(
        Long.parseLong(served.group(1)) > 0,
        "the loop served no other callback while the cpu pool hashed: " + served.group());

    // The verdict is judged by order on the loop, not by time; the time is only checked to be
    // possible (the HTTP service answers after 300 ms) and, with a 5x margin, concurrent.
    Matcher total = matchLine(lines, TOTAL);
    long millis = Long.parseLong(total.group(1));
    long slowest = Walkthrough.HTTP_TIME.toMillis();
    System.out.println("scene 4 verdict on single-thread:" + total.group().substring(1));
    assertTrue(millis >= slowest, "scene 4 ended before the HTTP service answered: " + millis);
    assertTrue(millis < 5 * slowest, "scene 4 took " + millis + " ms, not served together");
    assertTrue(total.group(2).startsWith("served together"), total.group());
  }

  @Test
  void theVerdictIsJudgedByOverlapOfRequestsAndReplies() {
    assertTrue(
        Walkthrough.verdict(
                List.of("sent 1", "sent 2", "sent 3", "replied 1", "replied 2", "replied 3"))
            .startsWith("served together"));
    assertTrue(
        Walkthrough.verdict(
                List.of("sent 1", "sent 2", "replied 1", "sent 3", "replied 3", "replied 2"))
            .startsWith("served together"));
    // one after another: user 2 waited for user 1's reply
    assertTrue(
        Walkthrough.verdict(
                List.of("sent 1", "replied 1", "sent 2", "sent 3", "replied 2", "replied 3"))
            .startsWith("NOT served together (user 2"));
    assertTrue(
        Walkthrough.verdict(
                List.of("sent 1", "sent 2", "replied 1", "replied 2", "sent 3", "replied 3"))
            .startsWith("NOT served together (user 3"));
  }

  @Test
  void manualCarrierPrintsTheTutorialInOrderAndEnds() {
    // The loop sends every request before any reply comes back on manual too; the offloads then
    // run one at a time on the caller's thread, which the verdict says.
    List<String> lines = walkthrough("manual");

    assertEquals("loopkit walkthrough on the manual carrier", lines.get(0));
    assertInOrder(lines);
    String verdict = matchLine(lines, TOTAL).group(2);
    assertTrue(verdict.startsWith("served together"), verdict);
    assertTrue(verdict.contains("one after another"), verdict);
  }

  @Test
  void orderCheckRejectsATranscriptWhoseUsersFinishOutOfOrder() {
    List<String> good = TUTORIAL.stream().map(line -> line + "...").toList();
    assertInOrder(good);

    List<String> swapped = new ArrayList<>(good);
    int database = swapped.indexOf("User 2: database answered...");
    Collections.swap(swapped, database, database + 1); // HTTP before the database
    assertThrows(AssertionFailedError.class, () -> assertInOrder(swapped));
  }

  private static List<String> walkthrough(String carrier) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    LoopConfig config = LoopConfig.builder().isolated().carrier(carrier).build();
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Walkthrough.run(out, config));
    String transcript = bytes.toString(StandardCharsets.UTF_8);
    System.out.println(transcript);
    return transcript.lines().toList();
  }

  static void assertInOrder(List<String> lines) {
    int from = 0;
    for (String expected : TUTORIAL) {
      int found = -1;
      for (int i = from; i < lines.size(); i++) {
        if (lines.get(i).startsWith(expected)) {
          found = i;
          break;
        }
      }
      if (found < 0) {
        fail("no line starting with '" + expected + "' after line " + from + " in:\n" + lines);
      }
      from = found + 1;
    }
    assertEquals(
        TUTORIAL.size(),
        lines.stream().filter(line -> !line.isBlank()).count(),
        "the transcript has only the expected lines: " + lines);
  }

  private static Matcher matchLine(List<String> lines, Pattern pattern) {
    for (String line : lines) {
      Matcher m = pattern.matcher(line);
      if (m.matches()) {
        return m;
      }
    }
    throw new AssertionError("no line matches " + pattern + " in:\n" + lines);
  }
}
