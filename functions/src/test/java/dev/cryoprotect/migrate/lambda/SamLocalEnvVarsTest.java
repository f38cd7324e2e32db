package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cryoprotect.migrate.cli.CliRun;
import dev.cryoprotect.migrate.testing.SamTemplate;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * events/env-vars.json is what `sam local invoke FUNCTION -e EVENT --env-vars events/env-vars.json` takes on a
 * machine with Docker. SAM passes a function only the variables its template entry declares, so the file must cover
 * each of them; and the same file, through `migrate invoke --env-vars`, must run each event (its host names and paths
 * read as inside SAM's container).
 */
class SamLocalEnvVarsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE = Path.of("..", "events", "env-vars.json");
    private static final Map<String, List<String>> EVENTS = Map.of(
            "MigrationStatus", List.of("status-direct.json", "status-apigw.json"),
            "ApplyMigrations", List.of("apply-dry-run.json", "apply-direct.json", "apply-apigw.json"),
            "RollbackMigrations", List.of("rollback-direct.json", "rollback-apigw.json"),
            "SyncData", List.of("sync-direct.json", "sync-schedule.json"));

    @TempDir
    Path dir;

    @Test
    void theFileSetsEveryVariableEachFunctionsTemplateEntryDeclares() throws IOException {
        JsonNode vars = JSON.readTree(FILE.toFile());
        JsonNode template = SamTemplate.read();
        Set<String> globals = names(template.path("Globals").path("Function").path("Environment").path("Variables"));
        for (Iterator<Map.Entry<String, JsonNode>> it = template.path("Resources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> resource = it.next();
            if (!resource.getValue().path("Type").asText().equals("AWS::Serverless::Function")) {
                continue;
            }
            Set<String> declared = new TreeSet<>(globals);
            declared.addAll(names(resource.getValue().path("Properties").path("Environment").path("Variables")));
            Set<String> covered = names(vars.path("Parameters"));
            covered.addAll(names(vars.path(resource.getKey())));
            Set<String> missing = new TreeSet<>(declared);
            missing.removeAll(covered);
            assertEquals(Set.of(), missing, resource.getKey() + ": declared in template.yaml, not set in " + FILE);
        }
    }

    @Test
    void eachEventRunsThroughMigrateInvokeWithTheSameFile() throws IOException {
        String url = TestPostgres.newDatabase();
        TestConvex.reset();
        // This machine's databases in place of the file's defaults (Supabase CLI's local port, no Convex), written as
        // SAM's container would reach them: through host.docker.internal.
        ObjectNode vars = (ObjectNode) JSON.readTree(FILE.toFile());
        ObjectNode shared = (ObjectNode) vars.get("Parameters");
        shared.put("SUPABASE_DB_URL", url.replace("127.0.0.1", "host.docker.internal")
                .replace("localhost", "host.docker.internal"));
        shared.put("USE_CONVEX", "true");
        shared.put("CONVEX_URL", TestConvex.backend().url().replace("127.0.0.1", "host.docker.internal"));
        shared.put("CONVEX_DEPLOY_KEY", TestConvex.backend().deployKey());
        Path file = dir.resolve("env-vars.json");
        Files.writeString(file, vars.toPrettyString());
        for (String function : List.of("MigrationStatus", "ApplyMigrations", "SyncData", "RollbackMigrations")) {
            for (String event : EVENTS.get(function)) {
                CliRun run = CliRun.of(Map.of(), "invoke", function, "--event", Path.of("..", "events", event).toString(),
                        "--env-vars", file.toString(), "--migrations", "../migrations");
                assertEquals(0, run.exitCode(), function + " " + event + ": " + run);
                assertTrue(run.out().strip().startsWith("{"), run.out());
            }
        }
        assertEquals(List.of("1"), TestPostgres.query(url, "SELECT count(*) FROM migrations"),
                "the events ran against the file's database: applied, synced, rolled back to 001");
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
