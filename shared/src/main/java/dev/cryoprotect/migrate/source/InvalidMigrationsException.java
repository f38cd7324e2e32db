package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;

import java.util.List;
import java.util.stream.Collectors;

/** Every problem found in the migration files, reported together so one run shows the whole list. */
public final class InvalidMigrationsException extends MigrateException {
    private static final long serialVersionUID = 1L;

    private final transient List<Problem> problems;

    public InvalidMigrationsException(List<Problem> problems) {
        super(Failure.BAD_INPUT, message(problems), problems.get(0).file(), problems.get(0).line(), null);
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }

    private static String message(List<Problem> problems) {
        String header = problems.size() == 1 ? "invalid migration file: "
                : problems.size() + " problems in migration files (nothing was run):\n  ";
        return header + problems.stream().map(Problem::toString).collect(Collectors.joining("\n  "));
    }
}
