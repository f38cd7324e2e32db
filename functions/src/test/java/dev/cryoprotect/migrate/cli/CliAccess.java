package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.app.Main;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** Runs the CLI in-process for tests in other packages. */
public final class CliAccess {
    private CliAccess() {
    }

    public static int run(String[] args, Map<String, String> env, StringWriter out, StringWriter err) {
        return Main.run(args, env, new PrintWriter(out), new PrintWriter(err));
    }
}
