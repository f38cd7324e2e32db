package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.model.Checksums;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.Size;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parsers under generated input (a bounded number of tries, so CI time stays fixed): whatever the bytes, loading
 * either succeeds or fails with {@link InvalidMigrationsException} naming the file and, where given, a line inside it.
 * Never another exception, never a hang.
 */
@Tag("fast")
class ParserPropertiesTest {
    private static final String VALID_JSON = """
            {
              "version": "001",
              "name": "initial_schema",
              "schema": {"users": {"name": "string", "n": "int64?", "tags": "string[]", "meta": {"a": "number"}}},
              "data": [
                {"type": "insert", "table": "users", "data": {"name": "A", "n": 1, "tags": ["x"], "meta": {"a": 1.5}}},
                {"type": "update", "table": "users", "filter": {"name": "A"}, "data": {"n": 2}},
                {"type": "delete", "table": "users", "filter": {"name": "B"}}
              ],
              "indexes": [{"table": "users", "name": "by_name", "fields": ["name"]}]
            }
            """;
    private static final String VALID_SQL = """
            -- users
            CREATE TABLE users (id int PRIMARY KEY, note text DEFAULT 'a;b', body text);
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;
            /* a /* nested */ comment */ INSERT INTO users VALUES (1, E'it\\'s', $q$x;y$q$);
            """;

    @Property(tries = 400)
    void anyTextSplitsOrReportsAnUnterminatedToken(@ForAll @Size(max = 300) String text) {
        withinTwoSeconds(() -> {
            long lines = lineCount(text);
            try {
                List<SqlStatement> statements = SqlSplitter.split(text);
                int previous = 0;
                for (SqlStatement s : statements) {
                    assertTrue(s.startLine() >= 1 && s.startLine() <= lines, "line " + s.startLine() + " of " + lines);
                    assertTrue(s.startLine() >= previous, "statements come in file order");
                    assertFalse(s.sql().isBlank());
                    assertTrue(text.contains(s.sql().strip()), "a statement is a piece of the file: " + s.sql());
                    previous = s.startLine();
                }
            } catch (SqlSplitter.UnterminatedException e) {
                assertTrue(e.line() >= 1 && e.line() <= lines, "line " + e.line() + " of " + lines);
            }
        });
    }

    @Property(tries = 300)
    void anyBytesAsAMigrationFileLoadOrAreRefusedWithTheFileName(@ForAll @Size(max = 400) byte[] bytes,
                                                                  @ForAll("extensions") String extension) {
        loadsOrIsRefused("001_generated" + extension, bytes);
    }

    @Property(tries = 400)
    void mutatedValidJsonLoadsOrIsRefusedWithALineInsideTheFile(@ForAll("jsonMutations") String text) {
        loadsOrIsRefused("001_initial_schema.json", text.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 300)
    void mutatedValidSqlLoadsOrIsRefusedWithALineInsideTheFile(@ForAll("sqlMutations") String text) {
        loadsOrIsRefused("001_initial_schema.sql", text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Loading either succeeds, with the file's one migration under its version and name and the file's checksum, or
     * fails with problems that all name the file and, where they give a line, a line inside it.
     */
    private static void loadsOrIsRefused(String name, byte[] content) {
        withinTwoSeconds(() -> {
            String text = new String(content, StandardCharsets.UTF_8);
            try {
                MigrationSet set = MigrationLoader.load(List.of(new MigrationSource.SourceFile(name, content)));
                if (name.endsWith(".down.sql")) {
                    throw new AssertionError("a down file without its up file must be refused");
                }
                assertEquals(1, set.migrations().size());
                Migration m = set.migrations().get(0);
                assertEquals("001", m.version().text());
                assertEquals(name.substring(4, name.indexOf('.')), m.name());
                String checksum = name.endsWith(".json") ? m.convex().orElseThrow().checksum()
                        : m.up().orElseThrow().checksum();
                assertEquals(Checksums.sha256(text.startsWith("\uFEFF") ? text.substring(1) : text), checksum);
            } catch (InvalidMigrationsException e) {
                long lines = lineCount(text);
                assertFalse(e.problems().isEmpty());
                for (Problem p : e.problems()) {
                    assertEquals(name, p.file(), p.toString());
                    assertTrue(p.line() == null || p.line() >= 1 && p.line() <= lines,
                            p + " (file has " + lines + " lines)");
                }
            }
        });
    }

    /** Lines as editors and the parsers count them: \n, \r\n and a lone \r each end one. */
    private static long lineCount(String text) {
        return text.split("\r\n|\r|\n", -1).length;
    }

    /** "Never a hang": each try gets two seconds. */
    private static void withinTwoSeconds(Runnable check) {
        assertTimeoutPreemptively(Duration.ofSeconds(2), check::run);
    }

    @Provide
    Arbitrary<String> extensions() {
        return Arbitraries.of(".sql", ".json", ".down.sql");
    }

    @Provide
    Arbitrary<String> jsonMutations() {
        return mutations(VALID_JSON, "{}[]\",:0123456789-.eE$_ntfaluxyz\n\\");
    }

    @Provide
    Arbitrary<String> sqlMutations() {
        return mutations(VALID_SQL, "'\"$;-/*()\n\\Eq ");
    }

    /** The text with 1 to 4 characters inserted, deleted or replaced at random places. */
    private static Arbitrary<String> mutations(String base, String alphabet) {
        Arbitrary<int[]> edit = Arbitraries.integers().between(0, base.length() - 1).array(int[].class).ofSize(3);
        return edit.list().ofMinSize(1).ofMaxSize(4).map(edits -> {
            StringBuilder s = new StringBuilder(base);
            for (int[] e : edits) {
                int at = Math.min(e[0], s.length() - 1);
                char c = alphabet.charAt(e[1] % alphabet.length());
                switch (e[2] % 3) {
                    case 0 -> s.insert(at, c);
                    case 1 -> s.deleteCharAt(at);
                    default -> s.setCharAt(at, c);
                }
            }
            return s.toString();
        });
    }
}
