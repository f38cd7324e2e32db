package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.wiring.LocalFunctions;
import dev.cryoprotect.migrate.wiring.Outcome;
import dev.cryoprotect.migrate.wiring.SecretValues;
import picocli.CommandLine.Command;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.Map;

/**
 * {@code migrate}: the commands over the shared {@link dev.cryoprotect.migrate.wiring.Wiring}, one class each, locally
 * on an embedded database when no URL is given. Exit codes: 0 success, 1 a migration failed, 2 bad input or usage,
 * 3 lock busy, 4 database unreachable, 5 history conflict, 70 internal error.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true, version = "migrate 0.1.0",
        description = "Database migrations for an app moving from Supabase (PostgreSQL) to Convex.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:a migration failed (it was rolled back)", "2:bad input or usage",
                "3:another run holds the lock", "4:database unreachable, login or deploy key refused, or the connection"
                + " lost", "5:history conflict (changed, missing or out-of-order migrations)",
                "70:internal error (a bug: please report it)", "130, 143:interrupted (Ctrl-C, SIGTERM)"})
public final class MigrateCli implements Runnable {
    static final int INTERNAL_ERROR = 70;
    /**
     * The commands by name, in the order help lists them. Each name is its class's {@code @Command} name, written out
     * because reading the annotations back costs every run a few tens of milliseconds (MigrateCliTest checks they agree).
     */
    static final Map<String, Class<?>> COMMANDS = commands(
            "status", StatusCommand.class, "apply", ApplyCommand.class, "rollback", RollbackCommand.class,
            "create", CreateCommand.class, "repair", RepairCommand.class, "baseline", BaselineCommand.class,
            "universal", UniversalCommand.class, "sync", SyncCommand.class, "convex-schema", ConvexSchemaCommand.class,
            "invoke", InvokeCommand.class, "local", LocalCommand.class, "remote", RemoteCommand.class);

    private static Map<String, Class<?>> commands(Object... nameThenClass) {
        Map<String, Class<?>> commands = new java.util.LinkedHashMap<>();
        for (int i = 0; i < nameThenClass.length; i += 2) {
            commands.put((String) nameThenClass[i], (Class<?>) nameThenClass[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(commands);
    }

    final Map<String, String> env;
    final PrintWriter out;
    final PrintWriter err;
    final LocalFunctions functions;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private MigrateCli(Map<String, String> env, PrintWriter out, PrintWriter err, LocalFunctions functions) {
        this.env = env;
        this.out = out;
        this.err = err;
        this.functions = functions;
    }

    /**
     * Runs one command line and returns its exit code; never calls System.exit.
     *
     * @param functions the deployed functions, for {@code invoke}
     */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err,
                          LocalFunctions functions) {
        MigrateCli cli = new MigrateCli(env, out, err, functions);
        CommandLine commandLine = new CommandLine(cli);
        // Only the command being run is modelled (picocli reflects over each one it is given): the others cost
        // start-up time, and are added only when the command line does not name one (help, a typo).
        Class<?> named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        for (Map.Entry<String, Class<?>> command : COMMANDS.entrySet()) {
            if (named == null || command.getValue() == named) {
                commandLine.addSubcommand(command.getKey(), command.getValue());
            }
        }
        commandLine
                .setOut(out)
                .setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Version.class, new Options.VersionConverter())
                .setExecutionExceptionHandler((e, cl, parsed) -> cli.report(e, cl));
        commandLine.setParameterExceptionHandler((e, arguments) -> {
            // As picocli's own handler, but with secrets hidden: the words it quotes back may be a URL with a password
            // (given without --database-url, or after a misspelt option), and stderr goes to CI logs.
            String message = withoutSecrets(e.getMessage(), arguments);
            err.println(message);
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
                e.getCommandLine().usage(err);
            }
            err.flush();
            if (asksForJson(arguments)) {
                new Output(out, Output.Format.json).json(Outcome.failure(MigrateException.badInput(message)).body());
            }
            return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        commandLine.getCommandSpec().usageMessage().autoWidth(false);
        return commandLine.execute(args);
    }

    /**
     * {@code text} with each of the command line's words that holds a secret shown hidden. The words are masked
     * whole, not found in the text by a pattern: a password may hold any character, a quote or a space included.
     */
    static String withoutSecrets(String text, String[] arguments) {
        String shown = text;
        for (String word : arguments) {
            String hidden = SecretValues.hidden(word);
            if (!hidden.equals(word)) {
                shown = shown.replace(word, hidden);
            }
        }
        return shown;
    }

    /** Whether the command line asks for JSON, read from the words themselves: it did not parse. */
    private static boolean asksForJson(String[] arguments) {
        for (int i = 0; i < arguments.length; i++) {
            String word = arguments[i];
            if (word.equalsIgnoreCase("--format=json")
                    || word.equals("--format") && i + 1 < arguments.length && arguments[i + 1].equalsIgnoreCase("json")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void run() {
        spec.commandLine().usage(out);
    }

    /**
     * The variables a command runs with: this process's, over the .env files of the working folder (or of
     * MIGRATE_ENV_DIR) for the environment {@code name} (null: MIGRATE_ENV, else none).
     */
    Map<String, String> environment(String name) {
        String dir = env.get("MIGRATE_ENV_DIR");
        return DotEnv.load(java.nio.file.Path.of(dir == null || dir.isBlank() ? "" : dir), name, env);
    }

    /** Prints a failure for people on stderr (and as JSON on stdout with --format json); returns its exit code. */
    private int report(Exception e, CommandLine command) {
        if (e instanceof MigrateException m) {
            err.println("error: " + m.getMessage());
            err.flush();
            if (command.getCommand() instanceof FilesCommand f && f.output().isJson()) {
                String environment;
                try {
                    environment = f.settings().environment();
                } catch (MigrateException unreadable) {
                    environment = null; // the settings themselves are what failed
                }
                f.output().json(Outcome.failure(m).inEnvironment(environment).body());
            }
            return m.failure().exitCode();
        }
        err.println("internal error: " + e);
        e.printStackTrace(err);
        err.flush();
        return INTERNAL_ERROR;
    }
}
