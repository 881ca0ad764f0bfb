package dev.loopkit.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a Markdown document's Java snippets against the source regions they quote. A region is the
 * lines between {@code // snippet:NAME} and {@code // end-snippet} (regions may nest; a name used
 * twice in a file is one region, its parts joined in order), dedented.
 */
final class Snippets {
  private static final Pattern MARKER = Pattern.compile("<!-- snippet: (\\w+)#([\\w-]+) -->");

  private Snippets() {}

  /** Adds what is wrong with {@code markdown}'s Java fences to {@code problems}; their number. */
  static int check(String name, String markdown, Path sources, List<String> problems)
      throws IOException {
    List<String> lines = markdown.lines().toList();
    int count = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).strip().equals("```java")) {
        continue;
      }
      count++;
      int end = i + 1;
      while (end < lines.size() && !lines.get(end).strip().equals("```")) {
        end++;
      }
      String fence = String.join("\n", lines.subList(i + 1, end)).stripTrailing();
      int before = i - 1;
      while (before >= 0 && lines.get(before).isBlank()) {
        before--;
      }
      Matcher m = before >= 0 ? MARKER.matcher(lines.get(before).strip()) : MARKER.matcher("");
      if (!m.matches()) {
        problems.add(
            name + ":" + (i + 1) + ": a java snippet without <!-- snippet: Class#region -->");
      } else {
        Path source = sources.resolve(m.group(1) + ".java");
        String region = Files.exists(source) ? region(Files.readString(source), m.group(2)) : null;
        if (region == null) {
          problems.add(name + ":" + (i + 1) + ": no region " + m.group(2) + " in " + source);
        } else if (!region.equals(fence)) {
          problems.add(
              name
                  + ":"
                  + (i + 1)
                  + ": differs from "
                  + source
                  + "#"
                  + m.group(2)
                  + "; it is:\n"
                  + region);
        }
      }
      i = end;
    }
    return count;
  }

  /**
   * The region's parts, each dedented by its own common indentation, joined by a blank line; null
   * if there is no such region.
   */
  static String region(String source, String region) {
    List<List<String>> parts = new ArrayList<>();
    Deque<String> open = new ArrayDeque<>();
    for (String line : source.lines().toList()) {
      String s = line.strip();
      if (s.startsWith("// snippet:")) {
        String name = s.substring("// snippet:".length());
        if (name.equals(region) && !open.contains(region)) {
          parts.add(new ArrayList<>());
        }
        open.push(name);
      } else if (s.equals("// end-snippet")) {
        open.pop();
      } else if (open.contains(region)) {
        parts.get(parts.size() - 1).add(line);
      }
    }
    if (parts.isEmpty()) {
      return null;
    }
    List<String> joined = new ArrayList<>();
    for (List<String> part : parts) {
      int indent =
          part.stream()
              .filter(l -> !l.isBlank())
              .mapToInt(l -> l.length() - l.stripLeading().length())
              .min()
              .orElse(0);
      StringBuilder text = new StringBuilder();
      for (String l : part) {
        text.append(l.isBlank() ? "" : l.substring(indent).stripTrailing()).append('\n');
      }
      joined.add(text.toString().strip());
    }
    return String.join("\n\n", joined);
  }
}
