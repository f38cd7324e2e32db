package dev.cryoprotect.migrate.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** Runs the CLI in-process for tests in other packages. */
public final class CliAccess {
    private CliAccess() {
    }

    public static int run(String[] args, Map<String, String> env, StringWriter out, StringWriter err) {
        return MigrateCli.run(args, env, new PrintWriter(out), new PrintWriter(err));
    }
}
