package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.cli.CliRun;
import dev.cryoprotect.migrate.local.LocalConvexBackend;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A CLI upgraded before its convex/ was deployed again: the sync goes on against the older functions (the project's
 * own migrations/sync.ts and schema.ts as they were before the schema claim, read from this repository's history),
 * without what they lack, instead of failing every table.
 */
class OlderConvexDeploymentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The last commit before convex/ kept each table's source schema. */
    private static final String BEFORE_OWNERS = "db0fac3";

    @TempDir
    Path work;

    @Test
    void aSyncAgainstConvexFunctionsOfThePreviousVersionStillSyncs() throws Exception {
        Path project = work.resolve("convex");
        copy(TestConvex.convexDir(), project);
        for (String file : new String[] {"migrations/sync.ts", "migrations/schema.ts"}) {
            Files.writeString(project.resolve(file), fromHistory("convex/" + file));
        }
        LocalConvexBackend backend = new LocalConvexBackend(project, work.resolve("state"), "tests/test-backend.ts");
        try {
            LocalConvexBackend.Running older = backend.ensureRunning(Map.of());
            String url = TestPostgres.newDatabase();
            TestPostgres.execute(url, "CREATE TABLE kept (id int PRIMARY KEY, updated_at timestamptz NOT NULL);"
                    + " INSERT INTO kept SELECT g, now() - interval '1 day' FROM generate_series(1, 30) g");
            Map<String, String> env = new HashMap<>(Map.of("CONVEX_URL", older.url(), "CONVEX_DEPLOY_KEY",
                    older.deployKey(), "USE_CONVEX", "true"));
            Path migrations = Files.createDirectories(work.resolve("migrations"));
            for (int expected : new int[] {30, 0}) {
                CliRun run = CliRun.of(env, "sync", "kept", "--database-url", url, "--migrations", migrations.toString(),
                        "--format", "json");
                assertEquals(0, run.exitCode(), run.toString());
                JsonNode kept = JSON.readTree(run.out()).get("results").get(0);
                assertEquals(expected, kept.get("inserted").asInt(), run.toString());
                assertTrue(kept.get("error").isNull(), run.toString());
            }
        } finally {
            backend.stop();
        }
    }

    /** A file as it was at {@link #BEFORE_OWNERS}; the test is skipped where the clone has no such history. */
    private static String fromHistory(String file) throws IOException, InterruptedException {
        Process git = new ProcessBuilder("git", "show", BEFORE_OWNERS + ":" + file)
                .directory(TestConvex.convexDir().toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String text = new String(git.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(git.waitFor() == 0, "no commit " + BEFORE_OWNERS + " here (a"
                + " shallow clone?): the older deployment cannot be rebuilt");
        return text;
    }

    /** The project without its node_modules, which is linked instead (installed once, by the build). */
    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            files.filter(p -> !from.relativize(p).startsWith("node_modules")).forEach(p -> {
                try {
                    Path target = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        Files.createSymbolicLink(to.resolve("node_modules"), from.resolve("node_modules"));
    }
}
