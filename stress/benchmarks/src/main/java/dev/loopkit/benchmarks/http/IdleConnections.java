package dev.loopkit.benchmarks.http;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory with many idle keep-alive connections: opens {@code count} connections to a server, sends
 * one {@code GET /} on each and reads its answer, leaves them all open, and reads the server
 * process's resident set size ({@code VmRSS} of {@code /proc/<pid>/status}) before and after.
 */
final class IdleConnections {
  private IdleConnections() {}

  /** Resident set sizes in KiB; {@code open}: connections that answered and stayed open. */
  record Result(int count, int open, int failed, long rssBeforeKiB, long rssKiB) {}

  /**
   * Opens the connections, waits {@code settleMillis} for the server to settle, reads its RSS, then
   * closes them all.
   */
  static Result measure(InetSocketAddress server, long pid, int count, long settleMillis)
      throws IOException, InterruptedException {
    long before = rssKiB(pid);
    List<Socket> sockets = new ArrayList<>(count);
    int failed = 0;
    try {
      for (int i = 0; i < count; i++) {
        Socket s = new Socket();
        try {
          s.connect(server, 5_000);
          s.setSoTimeout(10_000);
          RawHttp.sendGet(s.getOutputStream());
          RawHttp.read(new BufferedInputStream(s.getInputStream(), 256));
          sockets.add(s);
        } catch (IOException e) {
          failed++;
          s.close();
        }
      }
      Thread.sleep(settleMillis);
      long after = rssKiB(pid);
      int open = 0;
      for (Socket s : sockets) {
        if (!s.isClosed()) {
          open++;
        }
      }
      return new Result(count, open, failed, before, after);
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  /** {@code VmRSS} of process {@code pid}, in KiB. */
  static long rssKiB(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS in /proc/" + pid + "/status");
  }
}
