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
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, System.getenv(), out, err));
    }

    /** Runs one command line and returns its exit code. */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        return MigrateCli.run(args, env, out, err, new LocalInvoke());
    }
}
