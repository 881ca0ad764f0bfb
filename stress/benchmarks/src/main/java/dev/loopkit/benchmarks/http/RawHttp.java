package dev.loopkit.benchmarks.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over a plain socket, as little as shape F's clients need: one {@code GET /} request and
 * reading one answer framed by {@code Content-Length}.
 */
final class RawHttp {
  /** The request every client of shape F sends: {@code GET /}, keep-alive (HTTP/1.1's default). */
  static final byte[] GET =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private RawHttp() {}

  /** One answer: its status line, its headers (names lower-cased) and its body. */
  record Response(String statusLine, Map<String, String> headers, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.US_ASCII);
    }
  }

  static void sendGet(OutputStream out) throws IOException {
    out.write(GET);
    out.flush();
  }

  /** Reads one answer; the body must be framed by {@code Content-Length}. */
  static Response read(InputStream in) throws IOException {
    String status = line(in);
    Map<String, String> headers = new TreeMap<>();
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      if (colon < 0) {
        throw new IOException("not a header line: " + h);
      }
      headers.put(
          h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    String length = headers.get("content-length");
    if (length == null) {
      throw new IOException("an answer with no Content-Length: " + status + " " + headers);
    }
    byte[] body = in.readNBytes(Integer.parseInt(length));
    if (body.length != Integer.parseInt(length)) {
      throw new EOFException("the connection ended inside the body");
    }
    return new Response(status, headers, body);
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the connection ended inside the head");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }
}
