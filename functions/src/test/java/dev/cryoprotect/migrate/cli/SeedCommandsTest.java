package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The commands of the framework's own document (seed/convex-migration-framework.md), run as its users run them: the
 * bash script, the Python sync script and the Python bridge, each a process of its own, against PostgreSQL and the
 * local Convex backend. They run this build's CLI (MIGRATE_CLI), not a jar built by ./migrate.
 */
class SeedCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path work;
    private Path migrations;
    private String url;
    private final Map<String, String> env = new HashMap<>();

    record Run(int exitCode, String out, String err) {
    }

    @BeforeEach
    void setUp() throws IOException {
        TestConvex.reset();
        url = TestPostgres.newDatabase();
        migrations = Files.createDirectories(work.resolve("migrations"));
        try (var files = Files.list(ROOT.resolve("migrations"))) {
            for (Path f : files.toList()) {
                Files.copy(f, migrations.resolve(f.getFileName()));
            }
        }
        Path cli = work.resolve("migrate-cli");
        Files.writeString(cli, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -cp '"
                + System.getProperty("java.class.path") + "' dev.cryoprotect.migrate.app.Main \"$@\"\n");
        assertTrue(cli.toFile().setExecutable(true));
        env.putAll(TestConvex.environment());
        env.put("SUPABASE_DB_URL", url);
        env.put("MIGRATIONS_DIR", migrations.toString());
        env.put("MIGRATE_CLI", cli.toString());
        env.put("PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ left in the repository
    }

    private Run run(Map<String, String> extra, String... command) throws Exception {
        Path err = Files.createTempFile(work, "stderr", ".txt"); // a file: a pipe per stream could fill and block
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile())
                .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        builder.environment().putAll(extra);
        Process process = builder.start();
        var out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), String.join(" ", command));
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8), Files.readString(err));
    }

    private Run script(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("run_convex_migrations.sh").toString()));
        command.addAll(List.of(arguments));
        return run(Map.of(), command.toArray(String[]::new));
    }

    @Test
    void runConvexMigrationsShManagesConvexAndKeepsALog() throws Exception {
        Run apply = script("apply", "--target=002");
        assertEquals(0, apply.exitCode(), apply.toString());
        assertTrue(apply.out().contains("convex: applied 2 migrations"), apply.out());
        assertEquals(1, TestConvex.documents("teams").size());
        assertEquals(List.of(), TestPostgres.tables(url, "public"), "the script is Convex's: Supabase untouched");

        Run status = run(Map.of("NODE_DEBUG", "*"), ROOT.resolve("run_convex_migrations.sh").toString(), "status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().matches("(?s).*002\\s+add_teams\\s+APPLIED.*"), status.out());
        assertTrue(status.err().startsWith("+ " + env.get("MIGRATE_CLI") + " status --database convex"), status.err());

        Run rollback = script("rollback", "--target=001");
        assertEquals(0, rollback.exitCode(), rollback.toString());
        assertEquals(0, TestConvex.documents("teams").size());

        Run create = script("create", "--name=add_new_feature");
        assertEquals(0, create.exitCode(), create.toString());
        assertTrue(Files.exists(migrations.resolve("004_add_new_feature.json")), create.out());
        assertFalse(Files.exists(migrations.resolve("004_add_new_feature.sql")), "a Convex migration only");

        Run unknown = script("migrate");
        assertEquals(2, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.err().contains("unknown command 'migrate'"), unknown.err());

        try (var logs = Files.list(work.resolve("migration_logs"))) {
            List<Path> kept = logs.sorted().toList();
            assertEquals(4, kept.stream().filter(p -> p.getFileName().toString().matches("\\d{8}T\\d{6}Z-\\w+\\.log"))
                    .count(), kept.toString());
            String all = String.join("\n", kept.stream().map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList());
            assertTrue(all.contains("convex: applied 2 migrations") && all.contains("add_new_feature"), all);
        }
    }

    @Test
    void syncSupabaseToConvexPyTakesTheDocumentsOptions() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE projects (id int PRIMARY KEY, title text);"
                + " INSERT INTO projects SELECT g, 'p' || g FROM generate_series(1, 30) g");
        String script = ROOT.resolve("sync_supabase_to_convex.py").toString();
        Run dry = run(Map.of(), "python3", script, "projects", "--dry-run", "--format=json");
        assertEquals(0, dry.exitCode(), dry.toString());
        assertEquals(30, JSON.readTree(dry.out()).get("total_count").asInt(), dry.out());
        assertEquals(0, TestConvex.documents("projects").size(), "a dry run writes nothing");

        Run limited = run(Map.of(), script, "--limit=20");
        assertEquals(0, limited.exitCode(), limited.toString());
        assertEquals(20, TestConvex.documents("projects").size());
    }

    @Test
    void theBridgesRunUniversalMigrationsReturnsTheUnifiedResult() throws Exception {
        String call = "import json\n"
                + "from database.migrations.convex_bridge import run_universal_migrations, get_migration_status\n"
                + "results = run_universal_migrations(target_version='002', dry_run=False, environment='development')\n"
                + "print(json.dumps({'run': results, 'status': get_migration_status()}))\n";
        Files.writeString(work.resolve(".env.development"), "USE_CONVEX=true\n");
        Run bridge = run(Map.of("PYTHONPATH", ROOT.toString()), "python3", "-c", call);
        assertEquals(0, bridge.exitCode(), bridge.toString());
        JsonNode answer = JSON.readTree(bridge.out());
        assertTrue(answer.get("run").get("success").asBoolean(), answer.toString());
        assertEquals(0, answer.get("run").get("exit_code").asInt());
        assertEquals("002", answer.get("run").get("ended").get("supabase").asText());
        assertEquals("002", answer.get("run").get("ended").get("convex").asText());
        assertEquals("002", answer.get("status").get("databases").get("convex").get("currentVersion").asText());
        assertEquals(List.of("002"), TestPostgres.query(url, "SELECT max(version) FROM migrations"));
    }
}
