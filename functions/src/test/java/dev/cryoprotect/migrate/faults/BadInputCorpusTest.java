package dev.cryoprotect.migrate.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.cli.CliAccess;
import dev.cryoprotect.migrate.lambda.ApplyMigrations;
import dev.cryoprotect.migrate.lambda.BadInputException;
import dev.cryoprotect.migrate.lambda.Container;
import dev.cryoprotect.migrate.lambda.CreateMigration;
import dev.cryoprotect.migrate.lambda.MigrationHandler;
import dev.cryoprotect.migrate.lambda.SyncData;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed and hostile input, file by file and event by event: each gets a clear error (its text checked), the bad-input
 * exit code (2) or HTTP status (400), and leaves the database exactly as it was (no table, not even the history).
 */
class BadInputCorpusTest {
    @TempDir
    Path scratch; // each case's folder goes in it, removed when its factory's cases are done
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USERS = "{\"version\": \"001\", \"schema\": {\"users\": {\"email\": \"string\","
            + " \"n\": \"int64?\", \"raw\": \"bytes?\"}}, \"data\": [%s]%s}";

    private record FileCase(String name, Map<String, byte[]> files, String expected) {
    }

    private static Map<String, byte[]> file(String name, String text) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(name, text.getBytes(StandardCharsets.UTF_8));
        return files;
    }

    private static Map<String, byte[]> files(String... nameThenText) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < nameThenText.length; i += 2) {
            files.put(nameThenText[i], nameThenText[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    private static String users(String ops, String extra) {
        return USERS.formatted(ops, extra);
    }

    private static List<FileCase> fileCases() {
        List<FileCase> c = new ArrayList<>();
        c.add(new FileCase("truncated JSON", file("001_a.json", "{\"version\": \"001\", \"data\": ["), "malformed JSON"));
        c.add(new FileCase("JSON array at the top", file("001_a.json", "[]"), "must be a JSON object"));
        c.add(new FileCase("JSON string at the top", file("001_a.json", "\"x\""), "must be a JSON object"));
        c.add(new FileCase("version as a number", file("001_a.json", "{\"version\": 1}"), "must be a string of digits"));
        c.add(new FileCase("version disagrees", file("001_a.json", "{\"version\": \"002\"}"), "disagrees with the file name"));
        c.add(new FileCase("name disagrees", file("001_a.json", "{\"version\": \"001\", \"name\": \"b\"}"), "disagrees with the file name's name"));
        c.add(new FileCase("unknown top-level field", file("001_a.json", "{\"version\": \"001\", \"datas\": []}"), "datas: unknown field"));
        c.add(new FileCase("schema not an object", file("001_a.json", "{\"version\": \"001\", \"schema\": []}"), "schema: must be an object"));
        c.add(new FileCase("unknown field type", file("001_a.json", "{\"version\": \"001\", \"schema\": {\"t\": {\"a\": \"integer\"}}}"), "unknown type 'integer'"));
        c.add(new FileCase("empty field type", file("001_a.json", "{\"version\": \"001\", \"schema\": {\"t\": {\"a\": \"\"}}}"), "empty type"));
        c.add(new FileCase("array type with two elements", file("001_a.json", "{\"version\": \"001\", \"schema\": {\"t\": {\"a\": [\"string\", \"number\"]}}}"), "exactly one element"));
        c.add(new FileCase("id of a bad table", file("001_a.json", "{\"version\": \"001\", \"schema\": {\"t\": {\"a\": \"id<bad-table>\"}}}"), "bad table name"));
        c.add(new FileCase("data not an array", file("001_a.json", "{\"version\": \"001\", \"data\": {}}"), "data: must be an array"));
        c.add(new FileCase("op not an object", file("001_a.json", "{\"version\": \"001\", \"data\": [1]}"), "must be an object with type"));
        c.add(new FileCase("unknown op type", file("001_a.json", users("{\"type\": \"upsert\", \"table\": \"users\", \"data\": {}}", "")), "unknown op type 'upsert'"));
        c.add(new FileCase("op without table", file("001_a.json", users("{\"type\": \"insert\", \"data\": {}}", "")), "table: missing"));
        c.add(new FileCase("insert without data", file("001_a.json", users("{\"type\": \"insert\", \"table\": \"users\"}", "")), "an insert needs a \"data\" object"));
        c.add(new FileCase("update without filter", file("001_a.json", users("{\"type\": \"update\", \"table\": \"users\", \"data\": {\"n\": 1}}", "")), "an update needs a \"filter\""));
        c.add(new FileCase("delete with an empty filter", file("001_a.json", users("{\"type\": \"delete\", \"table\": \"users\", \"filter\": {}}", "")), "would match every document"));
        c.add(new FileCase("op on an undeclared table", file("001_a.json", users("{\"type\": \"delete\", \"table\": \"teams\", \"filter\": {\"a\": 1}}", "")), "table 'teams' is not declared"));
        c.add(new FileCase("insert missing a required field", file("001_a.json", users("{\"type\": \"insert\", \"table\": \"users\", \"data\": {\"n\": 1}}", "")), "required field 'email' is missing"));
        c.add(new FileCase("insert with an undeclared field", file("001_a.json", users("{\"type\": \"insert\", \"table\": \"users\", \"data\": {\"email\": \"a\", \"x\": 1}}", "")), "field 'x' is not declared"));
        c.add(new FileCase("int64 that is not whole", file("001_a.json", users("{\"type\": \"insert\", \"table\": \"users\", \"data\": {\"email\": \"a\", \"n\": 1.5}}", "")), "expected int64"));
        c.add(new FileCase("int64 out of range", file("001_a.json", users("{\"type\": \"insert\", \"table\": \"users\", \"data\": {\"email\": \"a\", \"n\": 99999999999999999999}}", "")), "does not fit in an int64"));
        c.add(new FileCase("bytes that are not base64", file("001_a.json", users("{\"type\": \"insert\", \"table\": \"users\", \"data\": {\"email\": \"a\", \"raw\": \"@@@\"}}", "")), "not valid base64"));
        c.add(new FileCase("integer too large for an any field", file("001_a.json", "{\"version\": \"001\", \"schema\": {\"t\":"
                + " {\"meta\": \"any\"}}, \"data\": [{\"type\": \"insert\", \"table\": \"t\", \"data\": {\"meta\":"
                + " {\"id\": 9007199254740993}}}]}"), "not exactly representable"));
        c.add(new FileCase("wrong value type", file("001_a.json", users("{\"type\": \"insert\", \"table\": \"users\", \"data\": {\"email\": 42}}", "")), "expected string, got number"));
        c.add(new FileCase("reserved _ field", file("001_a.json", "{\"version\": \"001\", \"schema\": {\"t\": {\"_id\": \"string\"}}}"), "starts with '_'"));
        c.add(new FileCase("reserved $ field", file("001_a.json", "{\"version\": \"001\", \"schema\": {\"t\": {\"$x\": \"string\"}}}"), "starts with '$'"));
        c.add(new FileCase("table name with quotes and semicolons", file("001_a.json", "{\"version\": \"001\", \"schema\": {\"users\\\"; DROP TABLE x; --\": {\"a\": \"string\"}}}"), "bad table name"));
        c.add(new FileCase("index on an undeclared field", file("001_a.json", users("", ", \"indexes\": [{\"table\": \"users\", \"name\": \"by_x\", \"fields\": [\"x\"]}]")), "field 'x' is not declared on table 'users'"));
        c.add(new FileCase("index defined twice", files("001_a.json", users("", ", \"indexes\": [{\"table\": \"users\", \"name\": \"by_e\", \"fields\": [\"email\"]}]"),
                "002_b.json", "{\"version\": \"002\", \"indexes\": [{\"table\": \"users\", \"name\": \"by_e\", \"fields\": [\"email\"]}]}"), "is already defined"));
        c.add(new FileCase("duplicate JSON keys", file("001_a.json", "{\"version\": \"001\", \"version\": \"001\"}"), "Duplicate field"));
        c.add(new FileCase("JSON nested 3,000 deep", file("001_a.json", "{\"version\": \"001\", \"description\": " + "[".repeat(3000) + "]".repeat(3000) + "}"), "malformed JSON"));
        Map<String, byte[]> latin1 = new LinkedHashMap<>();
        latin1.put("001_a.sql", new byte[]{'S', 'E', 'L', 'E', 'C', 'T', ' ', '\'', (byte) 0xe9, '\'', ';'});
        c.add(new FileCase("non-UTF-8 SQL", latin1, "not valid UTF-8"));
        c.add(new FileCase("NUL byte in SQL", file("001_a.sql", "SELECT 1;\0"), "NUL byte"));
        c.add(new FileCase("unterminated string", file("001_a.sql", "SELECT 'oops;\n"), "unterminated string literal"));
        c.add(new FileCase("unterminated dollar quote", file("001_a.sql", "DO $x$ BEGIN\n"), "unterminated dollar-quoted string"));
        c.add(new FileCase("unterminated block comment", file("001_a.sql", "/* never closed\nSELECT 1;"), "unterminated block comment"));
        c.add(new FileCase("unterminated quoted identifier", file("001_a.sql", "SELECT \"a;\n"), "unterminated quoted identifier"));
        c.add(new FileCase("a name over 100 characters", file("001_" + "n".repeat(101) + ".sql", "SELECT 1;"),
                "longer than 100 characters"));
        c.add(new FileCase("a lone COMMIT", file("001_a.sql", "CREATE TABLE a (id int);\nCOMMIT;\n"), "COMMIT without a BEGIN"));
        c.add(new FileCase("a ROLLBACK", file("001_a.sql", "CREATE TABLE a (id int);\nROLLBACK;\n"), "would end the transaction"));
        c.add(new FileCase("COMMIT AND CHAIN", file("001_a.sql", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT AND CHAIN;\n"),
                "COMMIT AND CHAIN"));
        c.add(new FileCase("a BEGIN never committed", file("001_a.sql", "BEGIN;\nCREATE TABLE a (id int);\n"), "BEGIN has no COMMIT"));
        c.add(new FileCase("COPY data without its end line", file("001_a.sql", "CREATE TABLE a (id int);\nCOPY a (id) FROM stdin;\n1\n"),
                "unterminated COPY data"));
        c.add(new FileCase("two names for one version", files("001_a.sql", "SELECT 1;", "001_b.sql", "SELECT 1;"), "already used by"));
        c.add(new FileCase("one version spelled two ways", files("001_a.sql", "SELECT 1;", "0001_a.json", "{\"version\": \"0001\"}"), "spell it the same way"));
        c.add(new FileCase("down file without up file", file("001_a.down.sql", "SELECT 1;"), "without its up file"));
        Map<String, byte[]> huge = new LinkedHashMap<>();
        huge.put("001_huge.sql", ("-- " + "x".repeat(100) + "\n").repeat(170_000).getBytes(StandardCharsets.UTF_8));
        c.add(new FileCase("a 17 MB file", huge, "larger than 16 MiB"));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> malformedMigrationFilesAreRefusedAndChangeNothing() {
        return fileCases().stream().map(fc -> DynamicTest.dynamicTest(fc.name(), () -> {
            Path dir = Files.createTempDirectory(scratch, "corpus");
            for (Map.Entry<String, byte[]> f : fc.files().entrySet()) {
                Files.write(dir.resolve(f.getKey()), f.getValue());
            }
            String url = TestPostgres.newDatabase();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = CliAccess.run(new String[]{"apply", "--migrations", dir.toString(), "--database-url", url},
                    Map.of("USE_CONVEX", "false"), out, err);
            assertEquals(2, code, fc.name() + ": " + err);
            assertTrue(err.toString().contains(fc.expected()), fc.name() + ": " + err);
            assertTrue(fc.files().keySet().stream().anyMatch(f -> err.toString().contains(f)), "names the file: " + err);
            assertEquals(List.of(), TestPostgres.tables(url, "public"), "nothing was created, not even the history");
        }));
    }

    private record EventCase(String name, Class<? extends MigrationHandler> handler, String event, String expected) {
    }

    private static String api(String body, boolean base64) {
        ObjectMapper json = new ObjectMapper();
        var node = json.createObjectNode().put("version", "2.0").put("routeKey", "POST /apply").put("isBase64Encoded", base64);
        node.putObject("requestContext");
        node.put("body", body);
        return node.toString();
    }

    private static List<EventCase> eventCases() {
        List<EventCase> c = new ArrayList<>();
        c.add(new EventCase("event that is not JSON", ApplyMigrations.class, "{target:", "not valid JSON"));
        c.add(new EventCase("event that is an array", ApplyMigrations.class, "[]", "must be a JSON object"));
        c.add(new EventCase("misspelt field", ApplyMigrations.class, "{\"tagret\": \"001\"}", "unknown field 'tagret'"));
        c.add(new EventCase("target not digits", ApplyMigrations.class, "{\"target\": \"1;DROP\"}", "target must be a version"));
        c.add(new EventCase("target an object", ApplyMigrations.class, "{\"target\": {}}", "target must be a version"));
        c.add(new EventCase("dryRun not a boolean", ApplyMigrations.class, "{\"dryRun\": \"yes\"}", "dryRun must be true or false"));
        c.add(new EventCase("unknown database", ApplyMigrations.class, "{\"database\": \"mysql\"}", "database must be supabase, convex or all"));
        c.add(new EventCase("negative limit", SyncData.class, "{\"limit\": -1, \"dryRun\": true}", "limit must be a positive"));
        c.add(new EventCase("tables not a list", SyncData.class, "{\"tables\": 5, \"dryRun\": true}", "tables must be an array"));
        c.add(new EventCase("create with path traversal", CreateMigration.class, "{\"name\": \"../../etc/passwd\"}", "is not snake_case"));
        c.add(new EventCase("create with a NUL", CreateMigration.class, "{\"name\": \"a\\u0000b\"}", "is not snake_case"));
        c.add(new EventCase("create with a 200-character name", CreateMigration.class, "{\"name\": \"" + "a".repeat(200) + "\"}", "at most 100 characters"));
        c.add(new EventCase("create without a name", CreateMigration.class, "{}", "--name is required"));
        c.add(new EventCase("create with an unknown kind", CreateMigration.class, "{\"name\": \"a\", \"kind\": \"yaml\"}", "kind must be sql, convex or both"));
        return c;
    }

    private static List<EventCase> apiCases() {
        List<EventCase> c = new ArrayList<>();
        c.add(new EventCase("API body over 64 KiB", ApplyMigrations.class, api("{\"pad\": \"" + "x".repeat(70_000) + "\"}", false), "at most 65536"));
        c.add(new EventCase("API body not JSON", ApplyMigrations.class, api("target=001", false), "not valid JSON"));
        c.add(new EventCase("API body bad base64", ApplyMigrations.class, api("%%%", true), "not valid base64"));
        c.add(new EventCase("API body a JSON array", ApplyMigrations.class, api("[1]", false), "must be a JSON object"));
        c.add(new EventCase("API body base64 of a hostile target", ApplyMigrations.class,
                api(Base64.getEncoder().encodeToString("{\"target\": \"001'; DROP TABLE users; --\"}".getBytes(StandardCharsets.UTF_8)), true),
                "target must be a version"));
        return c;
    }

    private Container services(String url, Path migrations) {
        return new Container(Map.of("SUPABASE_DB_URL", url, "USE_CONVEX", "false", "MIGRATIONS_DIR",
                migrations.toString()), line -> { });
    }

    private static MigrationHandler handler(Class<? extends MigrationHandler> type, Container container) throws Exception {
        return type.getConstructor(Container.class).newInstance(container);
    }

    @TestFactory
    Stream<DynamicTest> malformedDirectEventsAreBadInputErrors() {
        return eventCases().stream().map(ec -> DynamicTest.dynamicTest(ec.name(), () -> {
            String url = TestPostgres.newDatabase();
            Path migrations = Files.createTempDirectory(scratch, "corpus-events");
            Files.writeString(migrations.resolve("001_a.sql"), "CREATE TABLE a (id int);");
            MigrationHandler h = handler(ec.handler(), services(url, migrations));
            BadInputException e = assertThrows(BadInputException.class, () -> h.handleRequest(
                    new ByteArrayInputStream(ec.event().getBytes(StandardCharsets.UTF_8)), new ByteArrayOutputStream(), null));
            assertTrue(e.getMessage().contains(ec.expected()), ec.name() + ": " + e.getMessage());
            assertEquals(List.of(), TestPostgres.tables(url, "public"));
            try (var files = Files.list(migrations)) {
                assertEquals(1, files.count(), "create wrote nothing");
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> malformedApiRequestsAre400() {
        return apiCases().stream().map(ec -> DynamicTest.dynamicTest(ec.name(), () -> {
            String url = TestPostgres.newDatabase();
            Path migrations = Files.createTempDirectory(scratch, "corpus-api");
            Files.writeString(migrations.resolve("001_a.sql"), "CREATE TABLE a (id int);");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            handler(ec.handler(), services(url, migrations)).handleRequest(
                    new ByteArrayInputStream(ec.event().getBytes(StandardCharsets.UTF_8)), out, null);
            JsonNode response = JSON.readTree(out.toByteArray());
            assertEquals(400, response.get("statusCode").asInt(), ec.name() + ": " + response);
            assertTrue(response.get("body").asText().contains(ec.expected()), ec.name() + ": " + response);
            assertEquals(List.of(), TestPostgres.tables(url, "public"));
        }));
    }
}
