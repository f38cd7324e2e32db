package dev.cryoprotect.migrate.app;

import dev.cryoprotect.migrate.cli.MigrateCli;
import dev.cryoprotect.migrate.lambda.LocalInvoke;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The {@code migrate} program (functions/target/migrate.jar): the CLI, with {@code migrate invoke} bound to the
 * Lambda handlers. Only this class knows both edges, so neither depends on the other.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        warmUpAside(args);
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        sayWhenInterrupted(args, err, finished);
        int code = run(args, System.getenv(), out, err);
        finished.set(true);
        System.exit(code);
    }

    /**
     * Ctrl-C or a kill (not -9) ends a changing command part way: the state it leaves is correct, but a silent exit
     * leaves the user guessing, so the shutdown says what became of the work in flight and where to look.
     */
    static void sayWhenInterrupted(String[] args, PrintWriter err, java.util.concurrent.atomic.AtomicBoolean finished) {
        if (args.length == 0 || !java.util.Set.of("apply", "rollback", "universal", "repair", "baseline", "sync")
                .contains(args[0])) {
            return;
        }
        String what = args[0].equals("sync")
                ? "batches already written stay, and the next sync continues from its kept progress"
                : "a migration in flight is rolled back by PostgreSQL or lands whole in Convex; a no-transaction file or"
                + " a batched Convex migration stopped part way shows PARTIAL ('--resume' ends it). Run 'migrate"
                + " status' to see where each database stands";
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!finished.get()) {
                err.println(System.lineSeparator() + "interrupted: " + args[0] + " stopped here; " + what);
                err.flush();
            }
        }, "interrupted-notice"));
    }

    /**
     * Start-up is most of a short command's time, and most of that is one thread initialising classes while the other
     * core idles. For the commands that talk to PostgreSQL, a daemon thread initialises what the driver and the
     * checksums will need (logging, calendars, the security providers, the driver) while the main thread reads options
     * and files; class initialisation is thread-safe, so the main thread finds them ready or waits for them.
     */
    static void warmUpAside(String[] args) {
        if (args.length == 0 || !java.util.Set.of("status", "apply", "rollback", "repair", "baseline", "universal",
                "sync").contains(args[0])) {
            return;
        }
        Thread warm = new Thread(() -> {
            try {
                java.security.MessageDigest.getInstance("SHA-256");
                new java.util.GregorianCalendar();
                Class.forName("org.postgresql.Driver");
                Class.forName("org.postgresql.jdbc.PgConnection");
                Class.forName("org.postgresql.jdbc.TimestampUtils");
            } catch (ReflectiveOperationException | java.security.GeneralSecurityException | LinkageError e) {
                // only a head start: the main thread does the same when it needs it
            }
        }, "warm-up");
        warm.setDaemon(true);
        warm.start();
    }

    /** Runs one command line and returns its exit code. */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        return MigrateCli.run(args, env, out, err, new LocalInvoke());
    }
}
