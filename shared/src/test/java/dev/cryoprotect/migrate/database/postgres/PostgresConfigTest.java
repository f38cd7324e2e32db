package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The URL mistakes people make, each bad input naming what to fix and never echoing the password. */
class PostgresConfigTest {
    private static final String SECRET = "Sup3rS";

    @Test
    void aPasswordWithAnUnencodedCharacterOrABadPortSaysWhichAndHidesThePassword() {
        Map<String, String> mistakes = Map.of(
                "postgresql://postgres:" + SECRET + "#x@db.example.com:5432/postgres", "holds '#'",
                "postgresql://postgres:" + SECRET + "@x@db.example.com:5432/postgres", "holds '@'",
                "postgresql://postgres:" + SECRET + "?x@db.example.com:5432/postgres", "holds '/' or '?'",
                "postgresql://postgres:" + SECRET + "@db.example.com:5561x/postgres", "the port after the host's ':' is not a number",
                "postgresql://postgres:" + SECRET, "there is no user@ before the host",
                "postgresql://postgres:" + SECRET + "/postgres", "there is no user@ before the host",
                "postgresql://postgres:4711#" + SECRET + "@db.example.com:5432/postgres", "holds '#'",
                "postgresql://postgres:4711?" + SECRET + "@db.example.com:5432/postgres", "holds '/' or '?'",
                "postgresql://postgres:4711/" + SECRET + "@db.example.com:5432/postgres", "holds '/' or '?'",
                "postgresql://postgres:/" + SECRET + "@db.example.com:5432/postgres", "holds '/' or '?'");
        mistakes.forEach((url, expected) -> {
            MigrateException e = assertThrows(MigrateException.class, () -> PostgresConfig.fromUrl(url, "public"), url);
            assertEquals(Failure.BAD_INPUT, e.failure());
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            assertFalse(e.getMessage().contains(SECRET) || e.getMessage().contains("4711"), e.getMessage());
        });
        // encoded, the same password is read back; a '+' is a '+'
        assertEquals(SECRET + "#@?/+", PostgresConfig.fromUrl("postgresql://postgres:" + SECRET
                + "%23%40%3F%2F+@db.example.com:5432/postgres", "public").password());
        // an '@' in a parameter, encoded, is not taken for a password's
        assertEquals("jdbc:postgresql://db.example.com:5432/postgres?user=admin%40server",
                PostgresConfig.fromUrl("postgresql://db.example.com:5432/postgres?user=admin%40server", "public").jdbcUrl());
    }

    @Test
    void anSslModeTheDriverDoesNotKnowIsBadInput() {
        MigrateException e = assertThrows(MigrateException.class, () -> PostgresConfig.fromUrl(
                "postgresql://postgres:p@db.example.com:5432/postgres?sslmode=bogus", "public"));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("sslmode 'bogus' is not one of disable"), e.getMessage());
        MigrateException jdbc = assertThrows(MigrateException.class, () -> PostgresConfig.fromUrl(
                "jdbc:postgresql://db.example.com:5432/postgres?user=u&sslmode=bogus", "public"));
        assertEquals(Failure.BAD_INPUT, jdbc.failure(), "the JDBC form alike");
        MigrateException port = assertThrows(MigrateException.class, () -> PostgresConfig.fromUrl(
                "postgresql://postgres:p@db.example.com:99999/postgres", "public"));
        assertTrue(port.getMessage().contains("port 99999 is not a port"), port.getMessage());
        for (String mode : List.of("verify-full", "REQUIRE")) { // the driver reads modes in any case
            assertTrue(PostgresConfig.fromUrl("postgresql://postgres:p@db.example.com:5432/postgres?sslmode=" + mode,
                    "public").jdbcUrl().endsWith("?sslmode=" + mode));
        }
    }
}
