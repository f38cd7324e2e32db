package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.lambda.ApplyMigrations;
import dev.cryoprotect.migrate.lambda.BadInputException;
import dev.cryoprotect.migrate.lambda.ContainerAccess;
import dev.cryoprotect.migrate.lambda.RollbackMigrations;
import dev.cryoprotect.migrate.testing.MigrationFiles;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** .env files, --env and MIGRATE_ENV, and the guard on a production environment: CLI and functions. */
class EnvironmentsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path project;
    private Path migrations;
    private Map<String, String> env;

    @BeforeEach
    void setUp() throws Exception {
        migrations = Files.createDirectories(project.resolve("migrations"));
        MigrationFiles files = new MigrationFiles(migrations);
        files.table("001", "alpha");
        files.table("002", "beta");
        env = new HashMap<>(Map.of("MIGRATE_ENV_DIR", project.toString(), "USE_CONVEX", "false"));
    }

    private void dotenv(String file, String text) throws Exception {
        Files.writeString(project.resolve(file), text);
    }

    private CliRun run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--migrations", migrations.toString()));
        return CliRun.of(env, all.toArray(String[]::new));
    }

    /** The database a status ran against, as its JSON target names it. */
    private static String databaseOf(CliRun status) throws Exception {
        assertEquals(0, status.exitCode(), status.toString());
        return JSON.readTree(status.out()).get("databases").get("supabase").get("target").asText();
    }

    private static String name(String url) {
        return url.substring(url.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
    }

    @Test
    void theProcessWinsOverEnvNameWhichWinsOverEnv() throws Exception {
        String inDotEnv = TestPostgres.newDatabase();
        String inStaging = TestPostgres.newDatabase();
        String inProcess = TestPostgres.newDatabase();
        dotenv(".env", "# shared settings\nexport SUPABASE_DB_URL=" + inDotEnv + "\nLOCK_TIMEOUT_SECONDS=5 # seconds\n");
        dotenv(".env.staging", "SUPABASE_DB_URL=\"" + inStaging + "\"\n");
        assertTrue(databaseOf(run("status", "--format", "json")).contains(name(inDotEnv)), ".env alone");
        assertTrue(databaseOf(run("status", "--format", "json", "--env", "staging")).contains(name(inStaging)),
                ".env.staging over .env");
        env.put("MIGRATE_ENV", "staging");
        assertTrue(databaseOf(run("status", "--format", "json")).contains(name(inStaging)), "MIGRATE_ENV selects it too");
        env.put("SUPABASE_DB_URL", inProcess);
        CliRun status = run("status", "--format", "json");
        assertTrue(databaseOf(status).contains(name(inProcess)), "a real variable wins over every file");
        assertEquals("staging", JSON.readTree(status.out()).get("environment").asText(), "the result names it");
        CliRun text = run("status");
        assertTrue(text.out().startsWith("environment: staging\n"), text.out());
    }

    @Test
    void aMalformedFileIsBadInputNamingFileAndLineWithoutItsValues() throws Exception {
        dotenv(".env", "USE_CONVEX=false\n\nSUPABASE_DB_URL postgresql://u:hunter2@h/db\n");
        CliRun run = run("status");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains(".env:3: expected KEY=VALUE"), run.err());
        assertFalse(run.err().contains("hunter2"), run.err());
        dotenv(".env", "SUPABASE_DB_URL=\"postgresql://u:hunter2@h/db\n");
        CliRun quote = run("status");
        assertTrue(quote.err().contains(".env:1: the value of SUPABASE_DB_URL opens a \" quote it never closes"),
                quote.err());
        assertFalse(quote.err().contains("hunter2"));
        Files.delete(project.resolve(".env"));
        CliRun missing = run("status", "--env", "producton");
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("--env producton: there is no .env.producton"), missing.err());
    }

    @Test
    void productionAsksBeforeRollbackBaselineRepairAndSaysWhatWouldHappen() throws Exception {
        String url = TestPostgres.newDatabase();
        dotenv(".env.production", "SUPABASE_DB_URL=" + url + "\n");
        assertEquals(0, run("apply", "--env", "production").exitCode(), "apply needs no confirmation");

        CliRun rollback = run("rollback", "--env", "production", "--target", "000");
        assertEquals(2, rollback.exitCode(), rollback.toString());
        assertTrue(rollback.err().contains("rollback in the production environment production needs confirmation."
                + " It would: supabase: roll back 002, 001. Nothing was changed; run again with --yes"), rollback.err());
        assertEquals(List.of("alpha", "beta", "migrations"), TestPostgres.tables(url, "public"), "nothing changed");
        assertEquals(0, run("rollback", "--env", "production", "--dry-run").exitCode(), "a dry run changes nothing");
        CliRun resume = run("rollback", "--env", "production", "--resume");
        assertEquals(2, resume.exitCode(), resume.toString());
        assertTrue(resume.err().contains("It would: supabase: nothing to resume."), resume.err());

        CliRun baseline = run("baseline", "--env", "production", "--version", "002");
        assertEquals(2, baseline.exitCode(), baseline.toString());
        assertTrue(baseline.err().contains("record every migration up to 002 as applied"), baseline.err());

        Files.writeString(migrations.resolve("001_create_alpha.sql"), "CREATE TABLE alpha (id bigint);\n");
        CliRun repair = run("repair", "--env", "production");
        assertEquals(2, repair.exitCode(), repair.toString());
        assertTrue(repair.err().contains("record the new checksum of 001_create_alpha.sql"), repair.err());

        CliRun confirmed = run("rollback", "--env", "production", "--target", "001", "--yes", "--format", "json");
        assertEquals(0, confirmed.exitCode(), confirmed.toString());
        assertEquals("production", JSON.readTree(confirmed.out()).get("environment").asText());
        assertEquals(List.of("alpha", "migrations"), TestPostgres.tables(url, "public"));
    }

    @Test
    void aMarkedEnvironmentIsProductionWhateverItsName() throws Exception {
        String url = TestPostgres.newDatabase();
        dotenv(".env.live", "SUPABASE_DB_URL=" + url + "\nMIGRATE_PRODUCTION=true\n");
        assertEquals(0, run("apply", "--env", "live").exitCode());
        CliRun rollback = run("rollback", "--env", "live");
        assertEquals(2, rollback.exitCode(), rollback.toString());
        assertTrue(rollback.err().contains("production environment live"), rollback.err());
        assertEquals(2, run("rollback", "--env", "development").exitCode(), "an environment without its file is refused");
    }

    @Test
    void theFunctionsTakeTheStacksEnvironmentAndGuardProduction() throws Exception {
        String url = TestPostgres.newDatabase();
        Map<String, String> function = new HashMap<>(Map.of("SUPABASE_DB_URL", url, "USE_CONVEX", "false",
                "MIGRATIONS_DIR", migrations.toString(), "MIGRATE_ENV", "prod", "AWS_LAMBDA_FUNCTION_NAME", "Rollback"));
        List<String> log = new ArrayList<>();
        var container = ContainerAccess.container(function, log::add);
        ByteArrayOutputStream applied = new ByteArrayOutputStream();
        new ApplyMigrations(container).handleRequest(new ByteArrayInputStream("{}".getBytes()), applied, null);
        JsonNode result = JSON.readTree(applied.toByteArray());
        assertEquals("prod", result.get("environment").asText(), result.toString());
        assertTrue(log.stream().allMatch(line -> line.contains("\"environment\":\"prod\"")), log.toString());

        BadInputException refused = assertThrows(BadInputException.class, () -> new RollbackMigrations(container)
                .handleRequest(new ByteArrayInputStream("{\"target\": \"000\"}".getBytes()), new ByteArrayOutputStream(),
                        null));
        assertTrue(refused.getMessage().contains("needs \\\"yes\\\": true") && refused.getMessage().contains(
                "roll back 002, 001"), refused.getMessage());
        assertEquals(List.of("alpha", "beta", "migrations"), TestPostgres.tables(url, "public"));

        BadInputException chosen = assertThrows(BadInputException.class, () -> new RollbackMigrations(container)
                .handleRequest(new ByteArrayInputStream("{\"environment\": \"dev\", \"yes\": true}".getBytes()),
                        new ByteArrayOutputStream(), null));
        assertTrue(chosen.getMessage().contains("an event cannot choose the environment"), chosen.getMessage());

        new RollbackMigrations(container).handleRequest(new ByteArrayInputStream("{\"target\": \"001\", \"yes\": true}"
                .getBytes()), new ByteArrayOutputStream(), null);
        assertEquals(List.of("alpha", "migrations"), TestPostgres.tables(url, "public"));
    }
}
