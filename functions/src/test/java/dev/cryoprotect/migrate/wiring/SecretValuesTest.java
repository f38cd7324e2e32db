package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every shape a secret may have in Secrets Manager, and errors that never quote the secret. */
@Tag("fast")
class SecretValuesTest {

    @Test
    void aDatabaseUrlAsTextAsAUrlFieldOrAsRdsFields() {
        assertEquals("postgresql://u:p@h:5432/db", SecretValues.databaseUrl("  postgresql://u:p@h:5432/db\r\n"));
        assertEquals("postgresql://u:p@h/db", SecretValues.databaseUrl("{\"url\": \"postgresql://u:p@h/db\"}"));
        assertEquals("postgresql://u:p@h/db", SecretValues.databaseUrl("{\"SUPABASE_DB_URL\": \"postgresql://u:p@h/db\"}"));
        assertEquals("postgresql://postgres.ref:p%40ss%20w%3Ard@aws-0-eu-west-1.pooler.supabase.com:5432/postgres",
                SecretValues.databaseUrl("{\"username\": \"postgres.ref\", \"password\": \"p@ss w:rd\","
                        + " \"host\": \"aws-0-eu-west-1.pooler.supabase.com\", \"port\": 5432, \"dbname\": \"postgres\"}"),
                "RDS-style fields, the password percent-encoded");
        assertEquals("postgresql://u@h:5432/postgres", SecretValues.databaseUrl("{\"username\": \"u\", \"host\": \"h\"}"));
    }

    @Test
    void aDeployKeyAsTextOrAsAField() {
        assertEquals("prod:happy-otter-123|abc", SecretValues.deployKey("prod:happy-otter-123|abc\r\n"));
        assertEquals("prod:x|y", SecretValues.deployKey("{\"deployKey\": \"prod:x|y\"}"));
        assertEquals("prod:x|y", SecretValues.deployKey("{\"CONVEX_DEPLOY_KEY\": \"prod:x|y\"}"));
    }

    @Test
    void aSecretOfTheWrongShapeIsBadInputWithoutItsValue() {
        assertRefused(() -> SecretValues.databaseUrl("{\"password\": \"hunter2\"}"), "no url, nor host and username");
        assertRefused(() -> SecretValues.databaseUrl("{\"password\": \"hunter2\""), "not valid JSON");
        assertRefused(() -> SecretValues.databaseUrl("   "), "is empty");
        assertRefused(() -> SecretValues.deployKey("{\"token\": \"hunter2\"}"), "no deployKey field");
        assertRefused(() -> SecretValues.deployKey(null), "is empty");
        assertRefused(() -> SecretValues.deployKey("prod:x|hunter2\r\nsecond-line"), "has a carriage return at character 15");
        assertRefused(() -> SecretValues.databaseUrl("{\"url\": \"postgresql://u:hunter2@h/d b\"}"), "has a space");
    }

    private static void assertRefused(Runnable parse, String expected) {
        MigrateException e = assertThrows(MigrateException.class, parse::run);
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }
}
