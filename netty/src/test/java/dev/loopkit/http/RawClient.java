package dev.loopkit.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A blocking socket that speaks HTTP by hand: for half-sent, pipelined and malformed requests. */
final class RawClient implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;

  RawClient(InetSocketAddress address) throws IOException {
    socket = new Socket(address.getAddress(), address.getPort());
    socket.setSoTimeout(20_000);
    in = socket.getInputStream();
  }

  RawClient send(String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
    return this;
  }

  /** Reads until the server closes the connection (or 20 s pass). */
  String readToClose() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      out.writeBytes("<still open after 20 s>".getBytes(StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      // a reset after the answer: what was read is the answer
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads until {@code text} has arrived {@code times} times in what was read, returns it all. */
  String readUntil(String text, int times) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (count(out.toString(StandardCharsets.ISO_8859_1), text) < times) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after: " + out.toString(StandardCharsets.ISO_8859_1));
      }
      out.write(b);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** Whether the server has closed the connection: reads with {@code millis} patience. */
  boolean closedWithin(int millis) throws IOException {
    socket.setSoTimeout(millis);
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    } finally {
      socket.setSoTimeout(20_000);
    }
  }

  private static int count(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) {
      n++;
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
