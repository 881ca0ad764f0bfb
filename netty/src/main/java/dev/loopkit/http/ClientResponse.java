package dev.loopkit.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP answer as the client received it, whole: the status, the headers (names in lower case,
 * each with its values in order) and the body.
 */
public final class ClientResponse {
  private final int status;
  private final Map<String, List<String>> headers;
  private final byte[] body;

  ClientResponse(int status, Map<String, List<String>> headers, byte[] body) {
    this.status = status;
    this.headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
    this.body = Objects.requireNonNull(body, "body");
  }

  /** The status code. */
  public int status() {
    return status;
  }

  /** The headers, names in lower case, each with its values in order. */
  public Map<String, List<String>> headers() {
    return headers;
  }

  /** The first value of the header {@code name} (any case), or null if it is absent. */
  public @Nullable String header(String name) {
    List<String> values =
        headers.get(Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The body's bytes (a copy; empty if none). */
  public byte[] body() {
    return body.clone();
  }

  /** The body as UTF-8 text. */
  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "ClientResponse[" + status + ", " + body.length + " bytes]";
  }
}
