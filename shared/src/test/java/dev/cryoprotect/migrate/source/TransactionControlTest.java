package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.SqlScript;
import dev.cryoprotect.migrate.testing.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Transaction control inside a file, as the loader reads it: absorbed, or refused before anything runs. */
@Tag("fast")
class TransactionControlTest {

    private static SqlScript up(String text) {
        return Fixtures.set("001_x.sql", text).migrations().get(0).up().orElseThrow();
    }

    private static List<String> sql(SqlScript script) {
        return script.statements().stream().map(SqlStatement::sql).toList();
    }

    private static Problem refused(String text) {
        InvalidMigrationsException e = assertThrows(InvalidMigrationsException.class, () -> Fixtures.set("001_x.sql", text));
        assertEquals(1, e.problems().size(), e.getMessage());
        Problem p = e.problems().get(0);
        assertEquals("001_x.sql", p.file());
        assertTrue(p.message().contains("Nothing was run. Remove it") && p.message().contains("-- migrate:no-transaction"),
                p.message());
        return p;
    }

    @Test
    void aBeginCommitWrapperIsAbsorbedAndSaidOnce() {
        var set = Fixtures.set("001_x.sql", "-- wrapped\nbegin;\ncreate table a (id int);\ninsert into a values (1);\ncommit;\n");
        assertEquals(List.of("create table a (id int);", "insert into a values (1);"),
                sql(set.migrations().get(0).up().orElseThrow()));
        assertEquals(List.of("001_x.sql: its own BEGIN/COMMIT (lines 2, 5) are absorbed: the file already runs in one"
                + " transaction together with its history row"), set.warnings());
    }

    @Test
    void everySpellingOfTheWrapperIsAbsorbed() {
        for (String[] pair : new String[][]{{"BEGIN;", "COMMIT;"}, {"BEGIN WORK;", "END;"}, {"start transaction;", "commit work;"},
                {"BEGIN TRANSACTION;", "END TRANSACTION;"}, {"begin;", "commit and no chain;"}}) {
            assertEquals(List.of("SELECT 1;"), sql(up(pair[0] + "\nSELECT 1;\n" + pair[1] + "\n")), String.join(" ", pair));
        }
    }

    @Test
    void transactionModesOfTheWrapperAreKept() {
        assertEquals(List.of("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE", "SELECT 1;"),
                sql(up("BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE;\nSELECT 1;\nCOMMIT;\n")));
    }

    @Test
    void savepointsAndFunctionBodiesStay() {
        String text = """
                SAVEPOINT before_backfill;
                UPDATE a SET n = 1;
                ROLLBACK TO SAVEPOINT before_backfill;
                RELEASE SAVEPOINT before_backfill;
                CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;
                CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
                DO $$ BEGIN PERFORM 1; END $$;
                """;
        assertEquals(7, up(text).statements().size());
    }

    @Test
    void aLoneCommitIsRefusedWithItsLine() {
        Problem p = refused("CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n");
        assertEquals(2, p.line());
        assertTrue(p.message().startsWith("COMMIT without a BEGIN would commit the transaction"), p.message());
    }

    @Test
    void rollbackAbortChainAndPreparedTransactionsAreRefused() {
        assertEquals(2, refused("SELECT 1;\nROLLBACK;\n").line());
        assertEquals(1, refused("ABORT;\n").line());
        assertTrue(refused("BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nSELECT 2;\nCOMMIT;\n").message()
                .startsWith("COMMIT AND CHAIN"));
        assertTrue(refused("BEGIN;\nSELECT 1;\nPREPARE TRANSACTION 'x';\n").message().contains("prepared transaction"));
        assertTrue(refused("begin;\nselect 1;\nrollback;\n").message().startsWith("ROLLBACK would end"));
    }

    @Test
    void controlWordsAreReadThroughCaseAndCommentsAndOtherStatementsAreLeftAlone() {
        assertTrue(refused("SELECT 1;\nRollBack /* undo */;\n").message().startsWith("ROLLBACK would end"));
        assertTrue(refused("BEGIN;\nSELECT 1;\ncommit -- done\n and chain;\nCOMMIT;\n").message()
                .startsWith("COMMIT AND CHAIN"));
        assertEquals(List.of("SELECT 1;"), sql(up("begin /* wrapped */ isolation level serializable;\nSELECT 1;\n"
                + "END;\n")).subList(1, 2));
        // statements that only start like one: a table named after a keyword, a long first word, a parenthesis
        List<String> plain = List.of("CREATE TABLE commit_log (id int);", "UPDATE \"end\" SET x = 1;",
                "REFRESH MATERIALIZED VIEW rollbacks;", "(SELECT 1);", "_x;");
        assertEquals(plain, sql(up(String.join("\n", plain) + "\n")));
    }

    @Test
    void aFileWithAStatementThatOnlyRunsOutsideATransactionRunsOutsideOne() {
        for (String statement : List.of("VACUUM ANALYZE t;", "create index concurrently i on t (x);",
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (x);", "DROP INDEX CONCURRENTLY IF EXISTS i;",
                "REINDEX (VERBOSE) TABLE CONCURRENTLY t;", "reindex database app;", "ALTER SYSTEM SET work_mem = '8MB';",
                "CREATE DATABASE other;", "create /* x */ index\n  concurrently i on t (x);", "REINDEX SCHEMA app;",
                "ALTER TABLE public.events DETACH PARTITION public.events_2023 CONCURRENTLY;",
                "CREATE INDEX CONCURRENTLY \"Index 1\" ON \"T\" (x);", "CREATE -- why\rINDEX CONCURRENTLY i ON t (x);")) {
            assertFalse(up("CREATE TABLE t (x int);\n" + statement + "\n").transactional(), statement);
        }
        // an old-Mac file: a lone \r ends a -- comment, as PostgreSQL reads it
        assertFalse(up("CREATE TABLE t (x int);\r-- note\rCREATE -- why\rINDEX CONCURRENTLY i ON t (x);\r").transactional());
        // with transaction control of its own, the file stays one transaction, its BEGIN/COMMIT absorbed
        SqlScript wrapped = up("BEGIN;\nCREATE TABLE t (x int);\nCREATE INDEX CONCURRENTLY i ON t (x);\nCOMMIT;\n");
        assertTrue(wrapped.transactional());
        assertEquals(List.of("CREATE TABLE t (x int);", "CREATE INDEX CONCURRENTLY i ON t (x);"), sql(wrapped));
        // after the file's own COMMIT it runs as psql runs it: outside a transaction, its BEGIN and COMMIT as written
        SqlScript after = up("begin;\ncreate table x (i int);\ncommit;\ncreate index concurrently x_i on x (i);\n");
        assertFalse(after.transactional());
        assertEquals(List.of("begin;", "create table x (i int);", "commit;", "create index concurrently x_i on x (i);"),
                sql(after));
        // only whole blocks, none holding such a statement: otherwise one transaction, refused or failing as a whole
        assertTrue(refused("CREATE TABLE a (i int);\nCREATE INDEX CONCURRENTLY a_i ON a (i);\nBEGIN;\nCREATE TABLE b (i int);\n")
                .message().startsWith("BEGIN has no COMMIT"));
        assertTrue(up("BEGIN;\nCREATE TABLE c (i int);\nCREATE INDEX CONCURRENTLY c_i ON c (i);\nCOMMIT;\n"
                + "CREATE INDEX CONCURRENTLY c_j ON c (i);\n").transactional());
        assertEquals(3, refused("CREATE TABLE a (i int);\nCREATE INDEX CONCURRENTLY a_i ON a (i);\nROLLBACK;\n").line());
        assertEquals(4, refused("BEGIN;\nCREATE TABLE a (i int);\nCOMMIT;\nCOMMIT;\nCREATE INDEX CONCURRENTLY a_i ON a (i);\n")
                .line());
        // after COMMIT AND CHAIN a transaction is still open: one transaction, and the chain is what is refused
        assertEquals(3, refused("BEGIN;\nCREATE TABLE t (x int);\nCOMMIT AND CHAIN;\nCREATE INDEX CONCURRENTLY i ON t (x);\n"
                + "COMMIT;\n").line());
        for (String statement : List.of("CREATE INDEX concurrently_built ON t (x);", "REINDEX TABLE t;",
                "ALTER TABLE system_settings ADD COLUMN y int;", "COMMENT ON TABLE t IS 'vacuum concurrently';",
                "CREATE INDEX i ON t (x); -- concurrently later", "CREATE INDEX \"concurrently\" ON t (x);",
                "create index \"a \"\"b\"\"\" on t (x); -- concurrently", "ALTER TABLE \"detach\" ADD COLUMN concurrently int;",
                "CREATE INDEX t1_concurrently ON t (x);")) {
            assertTrue(up("CREATE TABLE t (x int);\n" + statement + "\n").transactional(), statement);
        }
    }

    @Test
    void aBeginWithoutCommitAndANestedBeginAreRefused() {
        assertTrue(refused("BEGIN;\nSELECT 1;\n").message().startsWith("BEGIN has no COMMIT"));
        Problem nested = refused("BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;\n");
        assertEquals(2, nested.line());
    }

    @Test
    void aNoTransactionFileManagesItsOwnTransactions() {
        SqlScript script = up("-- migrate:no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON a (n);\n");
        assertFalse(script.transactional());
        assertEquals(4, script.statements().size());
    }
}
