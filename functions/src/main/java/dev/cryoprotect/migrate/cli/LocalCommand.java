package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.local.LocalPostgres;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "local", description = "Manage the local databases used when no database URL is given: the embedded"
        + " PostgreSQL and the local Convex backend.",
        subcommands = {LocalCommand.Status.class, LocalCommand.Stop.class})
final class LocalCommand implements Runnable {
    @ParentCommand
    MigrateCli cli;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(cli.out);
    }

    /** What both subcommands have: the local folder and where to print. */
    abstract static class Subcommand implements Callable<Integer> {
        @ParentCommand
        LocalCommand local;
        @Mixin
        Options.LocalDir dir;

        CliLocalDatabases databases() {
            return new CliLocalDatabases(dir.localDir, local.cli.env);
        }
    }

    @Command(name = "status", description = "Say whether the local PostgreSQL and Convex backend run, and where.")
    static final class Status extends Subcommand {
        @Override
        public Integer call() {
            CliLocalDatabases databases = databases();
            LocalPostgres pg = databases.postgres();
            local.cli.out.println(pg.runningPort().map(p -> "local PostgreSQL runs on localhost:" + p
                    + " (data in " + pg.home() + ")").orElse("local PostgreSQL is not running"));
            local.cli.out.println(databases.convexBackend().running()
                    .map(r -> "local Convex backend runs at " + r.url() + " (pid " + r.pid() + ", data in memory)")
                    .orElse("local Convex backend is not running"));
            local.cli.out.flush();
            return 0;
        }
    }

    @Command(name = "stop", description = "Stop the local PostgreSQL (its data stays) and the local Convex backend"
            + " (its data, in memory, goes); the next command starts them again.")
    static final class Stop extends Subcommand {
        @Override
        public Integer call() {
            CliLocalDatabases databases = databases();
            boolean stopped = databases.postgres().stop();
            local.cli.out.println(stopped ? "stopped the local PostgreSQL" : "local PostgreSQL was not running");
            boolean convexStopped = databases.convexBackend().stop();
            local.cli.out.println(convexStopped ? "stopped the local Convex backend (its data was in memory)"
                    : "local Convex backend was not running");
            local.cli.out.flush();
            return 0;
        }
    }
}
