package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.wiring.LocalDatabases;
import dev.cryoprotect.migrate.wiring.Outcome;
import dev.cryoprotect.migrate.wiring.Settings;
import dev.cryoprotect.migrate.wiring.Wiring;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.Callable;

/** What every command over migration files has: the files, the output format, --help, and the wiring. */
abstract class FilesCommand implements Callable<Integer> {
    @ParentCommand
    MigrateCli cli;
    @Mixin
    Options.Files files;
    @Mixin
    Options.Format format;
    @Mixin
    Options.Env environment;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    Output output() {
        return new Output(cli.out, format.format);
    }

    /** The variables this command runs with: the process's over the selected environment's .env files. */
    Map<String, String> env() {
        if (variables == null) {
            variables = cli.environment(environment.name);
        }
        return variables;
    }

    private Map<String, String> variables;

    /** The settings from the environment, with this command's options on top. */
    Settings settings() {
        return files.applyTo(Settings.fromEnvironment(env()).withAppliedBy(whoAmI()));
    }

    /** Wiring without local databases, for commands that only read files (create, convex-schema). */
    Wiring filesOnly() {
        return new Wiring(settings(), LocalDatabases.NONE, event -> { }, this::notice);
    }

    void notice(String text) {
        cli.err.println("notice: " + text);
        cli.err.flush();
    }

    /** Prints the outcome (text or JSON); on failure also its error on stderr; returns the exit code. */
    <T> int print(Outcome<T> outcome, java.util.function.Consumer<T> text) {
        Settings settings = settings();
        if (output().isJson()) {
            output().json(outcome.inEnvironment(settings.environment()).body());
        } else {
            if (settings.environment() != null) {
                cli.out.println("environment: " + settings.environment() + (settings.production() ? " (production)" : ""));
            }
            text.accept(outcome.result());
        }
        if (!outcome.ok() && !output().isJson()) {
            cli.err.println("error: " + outcome.error().message());
            cli.err.flush();
        }
        return outcome.exitCode();
    }

    /** user@host for the history's applied_by; the host without a name lookup, which can take seconds. */
    static String whoAmI() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.nio.file.Files.readString(java.nio.file.Path.of("/etc/hostname")).strip();
            } catch (java.io.IOException | RuntimeException e) {
                host = "";
            }
        }
        if (host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "localhost";
            }
        }
        return System.getProperty("user.name", "unknown") + "@" + host;
    }
}
