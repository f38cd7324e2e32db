package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.lambda.LocalInvoke;
import dev.cryoprotect.migrate.wiring.LocalFunctions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Configuration mistakes people make with the environment are bad input (exit 2) naming the variable and the form
 * expected, never a stack trace (exit 70), and never echo a secret. Through the CLI and through the deployed
 * functions' local invoke alike.
 */
@Tag("fast")
class ConfigErrorsTest {
    private static final String SECRET = "hunter2secretvalue";

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("CONVEX_URL", "happy-otter-123.convex.cloud", "https://<deployment>.convex.cloud"),
                Arguments.of("CONVEX_URL", "https://happy-otter-123.convex.cloud\r", "a carriage return"),
                Arguments.of("CONVEX_URL", "https://happy otter.convex.cloud", "a space"),
                Arguments.of("CONVEX_URL", "https://admin:" + SECRET + "@happy-otter-123.convex.cloud", "must not carry credentials"),
                Arguments.of("CONVEX_URL", "ftp://happy-otter-123.convex.cloud", "https://<deployment>.convex.cloud"),
                // the two variables swapped, and keys pasted into the URL: described, never shown
                Arguments.of("CONVEX_URL", "prod:happy-otter-123|" + SECRET, "it looks like a deploy key (are CONVEX_URL"
                        + " and CONVEX_DEPLOY_KEY swapped?)"),
                Arguments.of("CONVEX_URL", "https://happy-otter-123.convex.cloud?key=" + SECRET, "it has a query"),
                Arguments.of("CONVEX_URL", "https://happy-otter-123.convex.cloud/prod:x|" + SECRET, "it looks like a deploy key"),
                Arguments.of("CONVEX_URL", "https://happy-otter-123.convex.cloud/" + SECRET, "it has a path after the host"),
                Arguments.of("CONVEX_DEPLOY_KEY", "\u201cprod:happy-otter-123|" + SECRET + "\u201d", "a curly quote"),
                Arguments.of("CONVEX_DEPLOY_KEY", "prod:happy-otter-123|" + SECRET + "é", "the character U+00E9"),
                Arguments.of("CONVEX_DEPLOY_KEY", "prod:happy-otter-123|" + SECRET + "\r", "a carriage return"),
                Arguments.of("CONVEX_DEPLOY_KEY", "prod:happy-otter-123|" + SECRET + "\n", "a line break"),
                Arguments.of("CONVEX_DEPLOY_KEY", " prod:happy-otter-123|" + SECRET, "a space"),
                Arguments.of("SUPABASE_DB_URL", "postgresql://postgres:" + SECRET + "@db.x.supabase.co:5432/postgres\r\n", "a carriage return"),
                Arguments.of("SUPABASE_DB_URL", "db.x.supabase.co:5432", "must start with postgresql://"),
                Arguments.of("AWS_ENDPOINT_URL", "localhost:4566", "http(s) URL"),
                Arguments.of("AWS_REGION", "us east 1", "an AWS region"),
                Arguments.of("LOCK_TIMEOUT_SECONDS", "30s", "whole number of seconds"),
                Arguments.of("LOCK_TIMEOUT_SECONDS", "99999999999", "at most 86400"),
                Arguments.of("CONVEX_LEASE_SECONDS", "1", "at least 2"));
    }

    private static Map<String, String> env(String variable, String value) {
        Map<String, String> env = new HashMap<>(Map.of("CONVEX_URL", "https://happy-otter-123.convex.cloud",
                "CONVEX_DEPLOY_KEY", "prod:happy-otter-123|abc", "SUPABASE_DB_URL", "postgresql://u:p@127.0.0.1:1/db"));
        env.put(variable, value);
        return env;
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("mistakes")
    void theCliSaysWhichVariableAndWhatItShouldBe(String variable, String value, String expected) {
        CliRun run = CliRun.of(env(variable, value), "status", "--database", "convex");
        assertEquals(2, run.exitCode(), run.toString());
        String err = run.err();
        assertTrue(err.startsWith("error: " + variable), err);
        assertTrue(err.contains(expected), err);
        assertFalse(err.contains(SECRET), "no secret in: " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("mistakes")
    void theFunctionsAnswerBadInput(String variable, String value, String expected) {
        StringBuilder log = new StringBuilder();
        LocalFunctions.Response response = new LocalInvoke().invoke("MigrationStatus", "{}".getBytes(),
                env(variable, value), line -> log.append(line).append('\n'));
        assertEquals(2, response.exitCode(), response.json());
        assertTrue(response.json().contains("BadInput") && response.json().contains(variable), response.json());
        assertTrue(response.json().contains(expected), response.json());
        assertFalse(response.json().contains(SECRET) || log.toString().contains(SECRET), response.json() + log);
    }

    /** Without the key Convex would answer "could not find public function": say what is missing instead. */
    @org.junit.jupiter.api.Test
    void aConvexUrlWithoutADeployKeyIsBadInputNamingTheKey() {
        CliRun run = CliRun.of(Map.of("CONVEX_URL", "http://127.0.0.1:1", "SUPABASE_DB_URL",
                "postgresql://u:p@127.0.0.1:1/db"), "status", "--database", "convex");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("error: CONVEX_URL is set (http://127.0.0.1:1) but no deploy key: set"
                + " CONVEX_DEPLOY_KEY"), run.err());
    }

    @org.junit.jupiter.api.Test
    void aMissingEventFileIsBadInput() {
        CliRun run = CliRun.of(Map.of(), "invoke", "MigrationStatus", "--event", "no/such/event.json");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("cannot read the event file no/such/event.json: no such file"), run.err());
    }
}
