package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StatusTable;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.source.MigrationLoader;
import dev.cryoprotect.migrate.source.MigrationSource;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * SnapStart priming: before Lambda snapshots an initialised container, run the JSON, event, migration-parsing and HTTP
 * client paths once, so their classes are loaded and warmed in the snapshot instead of on the first invoke after a
 * restore. No network and no secrets here: a snapshot must not carry credentials or connections.
 */
final class Priming implements Resource {
    /** org.crac holds resources weakly: keep this one alive for the container's life. */
    private static final Priming INSTANCE = new Priming();
    private static volatile boolean registered;

    private Priming() {
    }

    static boolean registered() {
        return registered;
    }

    static void register() {
        if (!registered) {
            registered = true;
            Core.getGlobalContext().register(INSTANCE);
        }
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) throws Exception {
        warm();
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        // Nothing to reopen: database connections are per invoke, secrets are fetched on first use.
    }

    /** The paths a first invoke takes, minus I/O. */
    static void warm() throws Exception {
        JsonNode api = MigrationHandler.JSON.readTree("{\"version\": \"2.0\", \"routeKey\": \"POST /apply\","
                + " \"requestContext\": {}, \"body\": \"{\\\"target\\\": \\\"001\\\", \\\"dryRun\\\": true}\"}");
        MigrationRequest.from(LambdaEvent.parse(api).input());
        MigrationRequest.from(MigrationHandler.JSON.readTree("{\"database\": \"all\", \"tables\": [\"users\"]}"));
        RunResult result = new RunResult("supabase", "apply", true, "prime", "", "001",
                List.of(new StepResult("001", "prime", "001_prime.sql", StepOutcome.WOULD_APPLY, 1, null)), true,
                "primed", null);
        MigrationHandler.JSON.writeValueAsBytes(result);
        MigrationHandler.JSON.writeValueAsBytes(StatusTable.of(List.of(StatusReport.of("supabase", "primed", "", List.of())), null));
        MigrationLoader.load(List.of(
                new MigrationSource.SourceFile("001_prime.sql", "CREATE TABLE prime (id int);".getBytes(StandardCharsets.UTF_8)),
                new MigrationSource.SourceFile("001_prime.json", ("{\"version\": \"001\", \"schema\": {\"prime\":"
                        + " {\"n\": \"int64\"}}, \"data\": [{\"type\": \"insert\", \"table\": \"prime\", \"data\": {\"n\": 1}}]}")
                        .getBytes(StandardCharsets.UTF_8))));
        ConvexValues.encode(Map.of("n", 1L, "b", new byte[]{1}, "f", Double.NaN, "s", "x"));
        new ConvexClient("https://prime.invalid", null).toString(); // builds the OkHttp client and its connection pool
    }
}
