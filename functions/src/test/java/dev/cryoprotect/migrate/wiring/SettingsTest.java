package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one reading of the environment that both edges share. */
@Tag("fast")
class SettingsTest {

    @Test
    void defaultsWhenNothingIsSet() {
        Settings s = Settings.fromEnvironment(Map.of());
        assertEquals(Path.of("migrations"), s.migrationsDir());
        assertNull(s.migrationsBucket());
        assertEquals("migrations/", s.migrationsPrefix());
        assertEquals("migration_logs/", s.reportsPrefix());
        assertNull(s.databaseUrl());
        assertTrue(s.useConvex());
        assertNull(s.convexUrl());
        assertEquals("public", s.historySchema());
        assertEquals(Duration.ofSeconds(30), s.lockTimeout());
        assertEquals(Duration.ofSeconds(15), s.convexLease(), "short enough that a rerun after a crash gets the lock within the default lock timeout");
        assertEquals("us-east-1", s.region());
    }

    @Test
    void everyVariableIsRead() {
        Settings s = Settings.fromEnvironment(Map.ofEntries(Map.entry("MIGRATIONS_DIR", "db/migrations"),
                Map.entry("MIGRATIONS_BUCKET", "b"), Map.entry("MIGRATIONS_PREFIX", "m/"),
                Map.entry("REPORTS_PREFIX", "r/"), Map.entry("SUPABASE_DB_URL", "postgresql://u:p@h/db"),
                Map.entry("DATABASE_SECRET_ARN", "arn:db"), Map.entry("USE_CONVEX", " FALSE "),
                Map.entry("CONVEX_URL", "https://happy-otter-123.convex.cloud/"), Map.entry("CONVEX_DEPLOY_KEY", "prod:x|k"),
                Map.entry("CONVEX_DEPLOY_KEY_SECRET_ARN", "arn:key"), Map.entry("HISTORY_SCHEMA", "ops"),
                Map.entry("LOCK_TIMEOUT_SECONDS", "5"), Map.entry("CONVEX_LEASE_SECONDS", "7"),
                Map.entry("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"), Map.entry("AWS_REGION", "eu-west-1")));
        assertEquals(Path.of("db/migrations"), s.migrationsDir());
        assertEquals("b", s.migrationsBucket());
        assertEquals("m/", s.migrationsPrefix());
        assertEquals("r/", s.reportsPrefix());
        assertEquals("postgresql://u:p@h/db", s.databaseUrl());
        assertEquals("arn:db", s.databaseSecretArn());
        assertFalse(s.useConvex());
        assertEquals("https://happy-otter-123.convex.cloud", s.convexUrl());
        assertEquals("prod:x|k", s.convexDeployKey());
        assertEquals("arn:key", s.convexDeployKeySecretArn());
        assertEquals("ops", s.historySchema());
        assertEquals(Duration.ofSeconds(5), s.lockTimeout());
        assertEquals(Duration.ofSeconds(7), s.convexLease());
        assertEquals("http://127.0.0.1:4566", s.awsEndpoint());
        assertEquals("eu-west-1", s.region());
    }

    @Test
    void anExplicitFolderReplacesTheBucket() {
        Settings s = Settings.fromEnvironment(Map.of("MIGRATIONS_BUCKET", "b")).withMigrationsDir(Path.of("here"));
        assertEquals(Path.of("here"), s.migrationsDir());
        assertNull(s.migrationsBucket());
    }

    @Test
    void aConvexUrlWithoutSchemeOrWithCredentialsIsBadInputThatHidesThem() {
        MigrateException noScheme = assertThrows(MigrateException.class,
                () -> Settings.fromEnvironment(Map.of("CONVEX_URL", "happy-otter-123.convex.cloud")));
        assertEquals(Failure.BAD_INPUT, noScheme.failure());
        assertTrue(noScheme.getMessage().contains("such as https://happy-otter-123.convex.cloud"), noScheme.getMessage());
        MigrateException credentials = assertThrows(MigrateException.class,
                () -> Settings.fromEnvironment(Map.of("CONVEX_URL", "https://admin:hunter2@x.convex.cloud")));
        assertFalse(credentials.getMessage().contains("hunter2"), credentials.getMessage());
        assertTrue(credentials.getMessage().contains("CONVEX_DEPLOY_KEY"), credentials.getMessage());
    }

    @Test
    void strayWhiteSpaceOrControlCharactersAreBadInputNamingTheVariableWithoutTheSecret() {
        MigrateException key = assertThrows(MigrateException.class,
                () -> Settings.fromEnvironment(Map.of("CONVEX_DEPLOY_KEY", "prod:x|hunter2\r")));
        assertEquals(Failure.BAD_INPUT, key.failure());
        assertTrue(key.getMessage().startsWith("CONVEX_DEPLOY_KEY has a carriage return at character 15"), key.getMessage());
        assertTrue(key.getMessage().contains("prod:happy-otter-123|"), "says the expected form: " + key.getMessage());
        assertFalse(key.getMessage().contains("hunter2"), key.getMessage());
        MigrateException url = assertThrows(MigrateException.class,
                () -> Settings.fromEnvironment(Map.of("CONVEX_URL", " https://x.convex.cloud")));
        assertTrue(url.getMessage().startsWith("CONVEX_URL has a space at character 1"), url.getMessage());
        MigrateException tab = assertThrows(MigrateException.class,
                () -> Settings.fromEnvironment(Map.of("CONVEX_URL", "https://x.con\u0007vex.cloud")));
        assertTrue(tab.getMessage().contains("U+0007") && !tab.getMessage().contains("x.con"),
                "described, not shown (a key pasted there by mistake must not be): " + tab.getMessage());
        MigrateException db = assertThrows(MigrateException.class,
                () -> Settings.fromEnvironment(Map.of("SUPABASE_DB_URL", "postgresql://u:hunter2@h/db\n")));
        assertTrue(db.getMessage().startsWith("SUPABASE_DB_URL has a line break"), db.getMessage());
        assertFalse(db.getMessage().contains("hunter2"), db.getMessage());
        MigrateException option = assertThrows(MigrateException.class,
                () -> Settings.fromEnvironment(Map.of()).withDatabaseUrl("postgresql://u:hunter2@h /db"));
        assertTrue(option.getMessage().startsWith("--database-url has a space"), option.getMessage());
        assertThrows(MigrateException.class, () -> Settings.fromEnvironment(Map.of("AWS_REGION", "us east 1")));
        assertThrows(MigrateException.class, () -> Settings.fromEnvironment(Map.of("AWS_ENDPOINT_URL", "localhost:4566")));
        assertThrows(MigrateException.class, () -> Settings.fromEnvironment(Map.of("MIGRATIONS_DIR", "a\u0000b")));
        assertThrows(MigrateException.class, () -> Settings.fromEnvironment(Map.of("CONVEX_URL",
                "https://x.convex.cloud/api/query")), "a path is not a deployment URL");
    }

    @Test
    void aNumberThatIsNotOneIsBadInputNamingTheVariable() {
        MigrateException e = assertThrows(MigrateException.class,
                () -> Settings.fromEnvironment(Map.of("CONVEX_LEASE_SECONDS", "1m")));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().startsWith("CONVEX_LEASE_SECONDS must be"), e.getMessage());
        assertThrows(MigrateException.class, () -> Settings.fromEnvironment(Map.of("LOCK_TIMEOUT_SECONDS", "-1")));
        assertEquals(Duration.ZERO, Settings.fromEnvironment(Map.of("LOCK_TIMEOUT_SECONDS", "0")).lockTimeout(),
                "0: fail at once when the lock is busy");
    }

    @Test
    void toStringNeverShowsASecret() {
        String shown = Settings.fromEnvironment(Map.of("SUPABASE_DB_URL", "postgresql://u:hunter2@h/db",
                "CONVEX_URL", "https://x.convex.cloud", "CONVEX_DEPLOY_KEY", "prod:x|hunter2")).toString();
        assertFalse(shown.contains("hunter2"), shown);
        assertTrue(shown.contains("https://x.convex.cloud"), shown);
    }
}
