package dev.loopkit.site;

import dev.loopkit.LoopConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.ext.heading.anchor.HeadingAnchorExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * Builds the documentation site: every page of {@code src/pages} (Markdown, in file-name order)
 * becomes HTML. Pages name what the build supplies instead of typing it:
 *
 * <ul>
 *   <li>{@code {{configuration}}}: the configuration reference, from {@link LoopConfig#keys()}, the
 *       same definitions the parser reads;
 *   <li>{@code {{comparison}}}: the comparison CLI's report ({@code
 *       src/data/comparison/comparison.md}, whose inline SVG charts are marked as charts);
 *   <li>measured numbers and tables of the benchmark sitting and the comparison run ({@link
 *       SiteData});
 *   <li>{@code <!-- chart: bench A -->}, {@code <!-- chart: targets -->}: a benchmark chart ({@link
 *       Charts}); a shape with no scores fails the build, unless the directive says {@code
 *       if-measured} ({@code <!-- chart: bench F if-measured -->}): then the page says that the
 *       committed sitting did not measure it;
 *   <li>{@code <!-- include: turn.svg -->}: a picture or fragment from {@code src/assets}, inline.
 * </ul>
 *
 * <p>Every table sits in a box that scrolls sideways on a narrow screen. The Javadoc of the
 * published modules is unpacked into {@code api/} by the build.
 *
 * <p>Run by the build ({@code prepare-package}): {@code SiteGenerator <site module dir> <out dir>}.
 */
public final class SiteGenerator {
  private static final List<Extension> EXTENSIONS =
      List.of(TablesExtension.create(), HeadingAnchorExtension.create());
  private static final Pattern DIRECTIVE = Pattern.compile("<!-- (chart|include): ([^>]*?) -->");

  private SiteGenerator() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: SiteGenerator <site module dir> <output dir>");
    }
    Path module = Path.of(args[0]);
    Path out = Path.of(args[1]);
    Files.createDirectories(out);
    SiteData data = SiteData.load(module);
    List<String[]> pages = new ArrayList<>(); // {file name, title, markdown}
    try (Stream<Path> files = Files.list(module.resolve("src/pages"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
        String md = expand(module, Files.readString(p));
        pages.add(new String[] {htmlName(p), title(md), md});
      }
    }
    for (String[] page : pages) {
      String html = directives(module, data, render(data.fill(page[2])));
      Files.writeString(
          out.resolve(page[0]), layout(page[0], page[1], html, pages), StandardCharsets.UTF_8);
    }
    System.out.println("site: " + pages.size() + " pages in " + out);
  }

  /** The generated parts of a page's Markdown: the configuration reference, the comparison. */
  private static String expand(Path module, String md) throws IOException {
    if (md.contains("{{configuration}}")) {
      md = md.replace("{{configuration}}", configurationReference());
    }
    if (md.contains("{{comparison}}")) {
      String report = Files.readString(module.resolve("src/data/comparison/comparison.md"));
      report = report.replace("<svg xmlns=", "<svg data-chart=\"comparison\" xmlns=");
      md = md.replace("{{comparison}}", report);
    }
    return md;
  }

  /** Replaces each chart and include directive of rendered HTML; tables get a scrolling box. */
  static String directives(Path module, SiteData data, String html) throws IOException {
    Matcher m = DIRECTIVE.matcher(html);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String arg = m.group(2).trim();
      String replacement;
      if (m.group(1).equals("chart") && arg.endsWith(" if-measured")) {
        String shape = arg.replaceFirst("^bench ", "").replaceFirst(" if-measured$", "").trim();
        replacement =
            data.scores(shape).isEmpty()
                ? "<p class=\"note\"><em>Shape "
                    + shape
                    + " has not been measured in the committed sitting yet.</em></p>"
                : "<figure class=\"chart-box\">" + Charts.scores(data, shape) + "</figure>";
      } else if (m.group(1).equals("chart")) {
        replacement =
            arg.equals("targets")
                ? Charts.targets(data)
                : Charts.scores(data, arg.replaceFirst("^bench ", ""));
        replacement = "<figure class=\"chart-box\">" + replacement + "</figure>";
      } else {
        replacement = Files.readString(module.resolve("src/assets").resolve(arg));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString()
        .replace("<table>", "<div class=\"scroll\"><table>")
        .replace("<table ", "<div class=\"scroll\"><table ")
        .replace("</table>", "</table></div>");
  }

  /** The configuration reference, one row per key, from the definitions the parser uses. */
  static String configurationReference() {
    StringBuilder md = new StringBuilder();
    md.append("Read from, in increasing precedence: the defaults, `loopkit.properties` on the")
        .append(" class path, the environment (`LOOPKIT_*`), system properties (`-Dloopkit.*`)")
        .append(
            " and `LoopConfig.builder()`. Unknown keys and bad values fail fast, naming the key")
        .append(" and what is allowed.\n\n")
        .append(
            "| key | environment | default | allowed | what it does |\n|---|---|---|---|---|\n");
    for (LoopConfig.Key k : LoopConfig.keys()) {
      md.append("| `")
          .append(k.name())
          .append("` | `")
          .append(k.environmentName())
          .append("` | ")
          .append(escape(k.defaultValue()))
          .append(" | ")
          .append(escape(k.allowed()))
          .append(" | ")
          .append(escape(k.description()))
          .append(" |\n");
    }
    return md.toString();
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
  }

  static String render(String markdown) {
    Parser parser = Parser.builder().extensions(EXTENSIONS).build();
    return HtmlRenderer.builder().extensions(EXTENSIONS).build().render(parser.parse(markdown));
  }

  private static String htmlName(Path md) {
    String name = md.getFileName().toString();
    return name.substring(0, name.length() - 3).replaceFirst("^\\d+-", "") + ".html";
  }

  private static String title(String md) {
    return md.lines()
        .filter(l -> l.startsWith("# "))
        .findFirst()
        .map(l -> l.substring(2).trim())
        .orElse("loopkit");
  }

  private static String layout(String file, String title, String body, List<String[]> pages) {
    StringBuilder nav = new StringBuilder();
    for (String[] p : pages) {
      nav.append("<a href=\"").append(p[0]).append('"');
      if (p[0].equals(file)) {
        nav.append(" aria-current=\"page\"");
      }
      nav.append('>').append(p[1]).append("</a> ");
    }
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>%s — loopkit</title>
        <link rel="icon" href="data:,">
        <style>
        *{box-sizing:border-box}
        body{font:16px/1.5 system-ui,sans-serif;max-width:56rem;margin:1.5rem auto;padding:0 1rem;color:#222}
        nav{border-bottom:1px solid #ddd;padding-bottom:.5rem;margin-bottom:1rem;line-height:2}
        nav a{margin-right:.9rem;white-space:nowrap}
        nav a[aria-current]{font-weight:bold;color:#222;text-decoration:none}
        .scroll{overflow-x:auto;max-width:100%%;margin:1rem 0}
        table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}
        code,pre{background:#f5f5f5}pre{padding:.75rem;overflow:auto;max-width:100%%}
        main{overflow-wrap:break-word}code{overflow-wrap:anywhere}pre code,td code,th code{overflow-wrap:normal}
        img,svg{max-width:100%%;height:auto}
        figure{margin:1rem 0;overflow-x:auto}figcaption{font-size:14px;color:#555}
        svg.diagram,svg.chart{min-width:600px}
        .charts{display:flex;flex-wrap:wrap;gap:.5rem}
        svg.chart{width:100%%;font:12px system-ui,sans-serif}
        .chart .bar.loopkit{fill:#2b6cb0}.chart .bar.peer{fill:#a0aec0}
        .chart .err{stroke:#222;stroke-width:1.2;fill:none}
        .chart .grid{stroke:#e2e2e2}.chart .floor{stroke:#c53030;stroke-dasharray:4 3;stroke-width:1.5}
        .chart .mark.met{fill:#2f855a}.chart .mark.unmet{fill:#dd6b20}
        .chart .axis{fill:#555;font-size:11px}.chart .value.unmet{fill:#c05621;font-weight:bold}
        .diagram{font:13px system-ui,sans-serif}
        </style></head>
        <body><nav>%s</nav>
        <main>
        %s
        </main>
        </body></html>
        """
        .formatted(title, nav, body);
  }
}
