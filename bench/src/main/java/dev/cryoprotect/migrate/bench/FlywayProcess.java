package dev.cryoprotect.migrate.bench;

import org.flywaydb.core.Flyway;

/**
 * Flyway Community in a process of its own, as {@link ProcessBenchmark} runs it:
 * {@code FlywayProcess JDBC_URL DIR migrate|info|version}. User and password postgres (the embedded database's).
 */
public final class FlywayProcess {
    private FlywayProcess() {
    }

    public static void main(String[] args) {
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        Flyway flyway = Flyway.configure().dataSource(args[0], "postgres", "postgres")
                .locations("filesystem:" + args[1]).load();
        switch (args[2]) {
            case "migrate" -> System.out.println(flyway.migrate().migrationsExecuted + " migrations applied");
            case "info" -> System.out.println(flyway.info().all().length + " migrations");
            case "version" -> System.out.println("Flyway " + Flyway.class.getPackage().getImplementationVersion());
            default -> throw new IllegalArgumentException(args[2]);
        }
    }
}
