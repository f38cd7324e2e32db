package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.database.postgres.PostgresConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Supabase connection strings that cannot work where they are used are refused with the fix. */
@Tag("fast")
class SupabaseHostsTest {
    private static final String DIRECT = "postgresql://postgres:hunter2@db.abcdefghijklmnop.supabase.co:5432/postgres";
    private static final String SESSION = "postgresql://postgres.abcdefghijklmnop:hunter2@aws-0-eu-west-1.pooler.supabase.com:5432/postgres";
    private static final String TRANSACTION = "postgresql://postgres.abcdefghijklmnop:hunter2@aws-0-eu-west-1.pooler.supabase.com:6543/postgres";

    private static PostgresConfig config(String url) {
        return PostgresConfig.fromUrl(url, "public");
    }

    @Test
    void theDirectHostFromLambdaOutsideAVpcNamesTheSessionPoolerUrl() {
        MigrateException e = assertThrows(MigrateException.class,
                () -> SupabaseHosts.check(config(DIRECT), true, true));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("only an IPv6 address") && e.getMessage().contains(
                "postgresql://postgres.abcdefghijklmnop:PASSWORD@aws-0-<region>.pooler.supabase.com:5432/postgres"),
                e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"));
        assertDoesNotThrow(() -> SupabaseHosts.check(config(DIRECT), false, true), "from a machine with IPv6, or a VPC");
        assertDoesNotThrow(() -> SupabaseHosts.check(config(SESSION), true, true));
    }

    @Test
    void theTransactionPoolerIsRefusedForMigrationsOnly() {
        MigrateException e = assertThrows(MigrateException.class,
                () -> SupabaseHosts.check(config(TRANSACTION), false, true));
        assertTrue(e.getMessage().contains("transaction pooler") && e.getMessage().contains("port 5432"), e.getMessage());
        assertDoesNotThrow(() -> SupabaseHosts.check(config(TRANSACTION), false, false), "a sync only reads");
    }

    @Test
    void onlyTheLambdaRuntimeOutsideAVpcCounts() {
        assertTrue(Settings.fromEnvironment(Map.of("AWS_EXECUTION_ENV", "AWS_Lambda_java21")).inLambdaOutsideVpc());
        assertFalse(Settings.fromEnvironment(Map.of("AWS_EXECUTION_ENV", "AWS_Lambda_java21", "LAMBDA_IN_VPC", "true"))
                .inLambdaOutsideVpc());
        assertFalse(Settings.fromEnvironment(Map.of()).inLambdaOutsideVpc(), "the CLI, and migrate invoke");
    }
}
