package dev.cryoprotect.migrate.local;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The local default database: an embedded PostgreSQL whose data lives in {@code <local dir>/postgres}, bootstrapped
 * like a Supabase project. It is started by the first command that needs it and keeps running in the background, so
 * later commands (and several at once) see the same database; {@code migrate local stop} stops it.
 */
public final class LocalPostgres {
    /** Servers this JVM started: zonky holds a lock on their data directory until closed. */
    private static final java.util.Map<Path, EmbeddedPostgres> STARTED_HERE = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path home;

    public LocalPostgres(Path localDir) {
        this.home = localDir.resolve("postgres");
    }

    private Path dataDir() {
        return home.resolve("data");
    }

    /** The JDBC URL of the running local server, starting it first if needed. */
    public String ensureRunning() {
        try {
            Files.createDirectories(home);
            // One process at a time checks and starts the server; the others then find it running.
            try (FileChannel channel = FileChannel.open(home.resolve("start.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = channel.lock()) {
                Optional<Integer> port = runningPort();
                if (port.isPresent()) {
                    return url(port.get());
                }
                removeStalePidFile();
                EmbeddedPostgres server = EmbeddedPostgres.builder()
                        .setPgBinaryResolver(LocalPostgres::binaries)
                        .setDataDirectory(dataDir())
                        .setCleanDataDirectory(false)
                        .setRegisterShutdownHook(false) // keep running after this command exits
                        .setPGStartupWait(Duration.ofSeconds(60))
                        .setOutputRedirector(ProcessBuilder.Redirect.appendTo(home.resolve("server.log").toFile()))
                        .setErrorRedirector(ProcessBuilder.Redirect.appendTo(home.resolve("server.log").toFile()))
                        .start();
                STARTED_HERE.put(dataDir().toAbsolutePath(), server);
                String url = url(server.getPort());
                try (Connection c = DriverManager.getConnection(url)) {
                    SupabaseBootstrap.run(c);
                }
                return url;
            }
        } catch (IOException e) {
            throw new LocalDatabaseException("cannot start the local PostgreSQL in " + home + ": "
                    + e.getMessage() + " (see " + home.resolve("server.log") + ")", e);
        } catch (SQLException e) {
            throw new LocalDatabaseException("the local PostgreSQL in " + home
                    + " started but refused the bootstrap: " + e.getMessage(), e);
        }
    }

    /**
     * The server's binaries: on Linux x86_64 the build's copy with extensions added (pgvector; see
     * local/build-pg-binaries.sh), else zonky's own.
     */
    public static InputStream binaries(String system, String architecture) throws IOException {
        InputStream extended = "Linux".equals(system) && "x86_64".equals(architecture)
                ? LocalPostgres.class.getResourceAsStream("postgres-linux-x86_64-supabase.txz") : null;
        return extended != null ? extended : DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, architecture);
    }

    /** The port of a server that is running on this data directory and answering, if any. */
    public Optional<Integer> runningPort() {
        Path pidFile = dataDir().resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.size() < 4) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).strip());
            int port = Integer.parseInt(lines.get(3).strip());
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && answers(port)) {
                return Optional.of(port);
            }
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Stops the server if it runs; returns whether it did. */
    public boolean stop() {
        Path pidFile = dataDir().resolve("postmaster.pid");
        if (runningPort().isEmpty()) {
            return false;
        }
        EmbeddedPostgres mine = STARTED_HERE.remove(dataDir().toAbsolutePath());
        if (mine != null) {
            try {
                mine.close(); // pg_ctl stop, and releases the data directory lock
                return true;
            } catch (IOException e) {
                throw new LocalDatabaseException("could not stop the local PostgreSQL: " + e.getMessage(), e);
            }
        }
        try {
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isEmpty()) {
                return false;
            }
            process.get().destroy(); // SIGTERM: PostgreSQL's smart shutdown
            process.get().onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            throw new LocalDatabaseException("could not stop the local PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** A postmaster.pid left by a server that no longer runs (machine restart, kill -9) blocks a new start. */
    private void removeStalePidFile() throws IOException {
        Path pidFile = dataDir().resolve("postmaster.pid");
        if (Files.exists(pidFile)) {
            try {
                long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    throw new LocalDatabaseException("a PostgreSQL process (pid " + pid
                            + ") owns " + dataDir() + " but does not answer; stop it or run 'migrate local stop'");
                }
            } catch (NumberFormatException | IndexOutOfBoundsException ignored) {
                // unreadable pid file: treat as stale
            }
            Files.delete(pidFile);
        }
    }

    private static boolean answers(int port) {
        try (Connection ignored = DriverManager.getConnection(url(port) + "&connectTimeout=3")) {
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static String url(int port) {
        return "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres";
    }

    public Path home() {
        return home;
    }
}
