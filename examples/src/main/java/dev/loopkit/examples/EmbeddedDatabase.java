package dev.loopkit.examples;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * An embedded H2 in-memory database with one table and a query that spends a fixed time inside the
 * database (a Java function alias that sleeps): the "database" of the walkthrough's second user.
 *
 * <p>One connection, used by one thread at a time; {@link #close()} closes it, which drops the
 * in-memory database. Public only so that H2 may call {@link #pause(long)}.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private final Connection connection;
  private final Duration queryTime;

  private EmbeddedDatabase(Duration queryTime) throws SQLException {
    this.queryTime = queryTime;
    this.connection = DriverManager.getConnection("jdbc:h2:mem:walkthrough", "sa", "");
    try (Statement s = connection.createStatement()) {
      s.execute("CREATE ALIAS PAUSE FOR '" + EmbeddedDatabase.class.getName() + ".pause'");
      s.execute("CREATE TABLE users(id INT PRIMARY KEY, name VARCHAR(40))");
      s.execute("INSERT INTO users VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Barbara')");
    }
  }

  /** Opens the database, creates its table and runs the slow query once with no pause (warm-up). */
  static EmbeddedDatabase open(Duration queryTime) {
    try {
      EmbeddedDatabase db = new EmbeddedDatabase(queryTime);
      db.userName(1, Duration.ZERO);
      return db;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open the embedded H2 database", e);
    }
  }

  /**
   * Looks up user {@code id}; the query spends the configured time inside the database (blocking:
   * run it offloaded).
   */
  String userName(int id) throws SQLException {
    return userName(id, queryTime);
  }

  private String userName(int id, Duration pause) throws SQLException {
    try (PreparedStatement q =
        connection.prepareStatement("SELECT name FROM users WHERE id = ? AND PAUSE(?)")) {
      q.setInt(1, id);
      q.setLong(2, pause.toMillis());
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("no user " + id);
        }
        return rs.getString(1);
      }
    }
  }

  /** The SQL function {@code PAUSE(millis)}: sleeps, then answers TRUE. Called by H2. */
  public static boolean pause(long millis) throws InterruptedException {
    Thread.sleep(millis);
    return true;
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot close the embedded H2 database", e);
    }
  }
}
