package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.source.SqlSplitter.UnterminatedException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("fast")
class SqlSplitterTest {
    private static List<String> sql(String script) throws Exception {
        return SqlSplitter.split(script).stream().map(SqlStatement::sql).toList();
    }

    @Test
    void splitsOnSemicolonsAndKeepsStartLines() throws Exception {
        List<SqlStatement> statements = SqlSplitter.split("SELECT 1;\n\n  SELECT\n 2;\nSELECT 3");
        assertEquals(List.of("SELECT 1;", "SELECT\n 2;", "SELECT 3"), statements.stream().map(SqlStatement::sql).toList());
        assertEquals(List.of(1, 3, 5), statements.stream().map(SqlStatement::startLine).toList());
        assertEquals(4, statements.get(1).lineOf(9));
    }

    /** Old Mac files end lines with a lone \r: it counts as a line break, as \n and \r\n do, and ends a -- comment. */
    @Test
    void aLoneCarriageReturnEndsALine() throws Exception {
        List<SqlStatement> statements = SqlSplitter.split("-- setup\rSELECT 1;\r/* a\rb */ SELECT\r 'x\ry', $$\r$$;"
                + "\r\r\nSELECT E'\\\r'\r, 3;\rSELECT 4;");
        assertEquals(List.of("SELECT 1;", "SELECT\r 'x\ry', $$\r$$;", "SELECT E'\\\r'\r, 3;", "SELECT 4;"),
                statements.stream().map(SqlStatement::sql).toList());
        assertEquals(List.of(2, 4, 9, 12), statements.stream().map(SqlStatement::startLine).toList());
        assertEquals(6, statements.get(1).lineOf(12), "the x\ry literal's y is on line 6");
        UnterminatedException e = assertThrows(UnterminatedException.class,
                () -> SqlSplitter.split("SELECT 1;\r-- note\rSELECT 2;\rSELECT 'oops;\r"));
        assertEquals("unterminated string literal starting on line 4", e.getMessage());
    }

    @Test
    void ignoresSemicolonsInQuotesCommentsAndDollarQuotes() throws Exception {
        String script = """
                INSERT INTO t VALUES ('a;b', E'c\\';d', "we;ird");
                -- a comment; with a semicolon
                /* block; /* nested; */ still; */
                CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END; $body$;
                DO $$ BEGIN PERFORM 1; END $$;
                """;
        List<String> statements = sql(script);
        assertEquals(3, statements.size(), statements.toString());
        assertEquals("CREATE FUNCTION", statements.get(1).substring(0, 15), "leading comments are not part of it");
        assertEquals("DO $$ BEGIN PERFORM 1; END $$;", statements.get(2));
    }

    @Test
    void keepsSqlStandardFunctionBodiesWhole() throws Exception {
        String script = "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT a + b;\nEND;\nSELECT 1;";
        assertEquals(2, sql(script).size());
    }

    /**
     * As psql: only a BEGIN outside parentheses opens a block, so a parameter named "begin" does not swallow the
     * statements after the function (they would go to the server as one text, and past the batch's COMMIT).
     */
    @Test
    void aParameterNamedBeginOpensNoBlock() throws Exception {
        String script = "CREATE FUNCTION span(begin date, finish date) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n"
                + "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n"
                + "CREATE PROCEDURE p(\"begin\" int, case_ int) LANGUAGE sql BEGIN ATOMIC\n"
                + "  SELECT CASE WHEN (CASE WHEN true THEN 1 END) = 1 THEN 2 END;\n  INSERT INTO t VALUES (2);\nEND;\n"
                + "SELECT 3;";
        List<String> statements = sql(script);
        assertEquals(5, statements.size(), statements.toString());
        assertEquals("CREATE TABLE t (id int);", statements.get(1));
        assertTrue(statements.get(3).endsWith("INSERT INTO t VALUES (2);\nEND;"), statements.get(3));
    }

    /** As psql: no statement ends inside parentheses, where pg_dump puts a multi-action rule's statements. */
    @Test
    void aRuleWithSeveralActionsIsOneStatement() throws Exception {
        String rule = "CREATE RULE items_audit AS\n    ON INSERT TO public.items DO ALSO ( INSERT INTO public.audit (i)\n"
                + "  VALUES (new.i);\n INSERT INTO public.audit (i)\n  VALUES ((- new.i));\n);";
        List<String> statements = sql("CREATE TABLE items (i int);\n" + rule + "\nSELECT 1;");
        assertEquals(List.of("CREATE TABLE items (i int);", rule, "SELECT 1;"), statements);
        assertEquals(List.of(1, 2, 8), SqlSplitter.split("CREATE TABLE items (i int);\n" + rule + "\nSELECT 1;").stream()
                .map(SqlStatement::startLine).toList());
        // A parenthesis closed more often than opened does not leave the count below zero.
        assertEquals(List.of("SELECT 1);", "SELECT (2;\n3);"), sql("SELECT 1);\nSELECT (2;\n3);"));
    }

    @Test
    void commentOnlyScriptsHaveNoStatements() throws Exception {
        assertEquals(List.of(), sql("-- nothing here\n/* or here */\n;\n"));
    }

    @Test
    void positionalParametersAndDollarIdentifiersAreNotQuotes() throws Exception {
        assertEquals(2, sql("PREPARE p AS SELECT $1;\nSELECT a$b FROM t;").size());
    }

    @Test
    void unterminatedDollarQuoteIsAnError() {
        SqlSplitter.UnterminatedException e = assertThrows(SqlSplitter.UnterminatedException.class,
                () -> SqlSplitter.split("SELECT 1;\nDO $$ BEGIN\n"));
        assertEquals(2, e.line());
    }

    /** pg_dump 17.6+ writes these two around a dump; they guard psql's own meta-commands and are not SQL. */
    @Test
    void pgDumpsRestrictLinesAreSkippedAndOtherMetaCommandsLeftToTheServer() throws Exception {
        String dump = """
                -- a dump
                \\restrict k3yFromTheDump

                SET statement_timeout = 0;
                CREATE TABLE public.notes (body text DEFAULT E'a\\\\b');
                \\unrestrict k3yFromTheDump
                """;
        List<Integer> skipped = new java.util.ArrayList<>();
        var statements = SqlSplitter.split(dump, skipped);
        assertEquals(List.of("SET statement_timeout = 0;", "CREATE TABLE public.notes (body text DEFAULT E'a\\\\b');"),
                statements.stream().map(s -> s.sql()).toList());
        assertEquals(List.of(4, 5), statements.stream().map(s -> s.startLine()).toList());
        assertEquals(List.of(2, 6), skipped);

        List<Integer> none = new java.util.ArrayList<>();
        assertEquals(List.of("SELECT 1;", "\\set ON_ERROR_STOP on\nSELECT 2;"), SqlSplitter.split(
                "SELECT 1;\n\\set ON_ERROR_STOP on\nSELECT 2;\n", none).stream().map(s -> s.sql()).toList());
        assertEquals(List.of(), none, "another meta-command is left to the server, which names its line");
    }

    @Test
    void copyFromStdinTakesItsDataLinesUpToTheEndMarker() throws Exception {
        String dump = """
                SET statement_timeout = 0;
                COPY public.countries (id, name) FROM stdin;
                1	Austria
                2	Belgium; with a semicolon
                \\.

                SELECT pg_catalog.setval('public.countries_id_seq', 2, true);
                COPY public.notes (id, body) FROM STDIN WITH (FORMAT csv);
                1,"a ""quoted"" note"
                \\.
                """;
        List<SqlStatement> statements = SqlSplitter.split(dump);
        assertEquals(4, statements.size());
        SqlStatement copy = statements.get(1);
        assertEquals("COPY public.countries (id, name) FROM stdin;", copy.sql());
        assertEquals("1\tAustria\n2\tBelgium; with a semicolon\n", copy.copyData());
        assertEquals(3, copy.copyDataLine());
        assertEquals(7, statements.get(2).startLine());
        assertEquals("1,\"a \"\"quoted\"\" note\"\n", statements.get(3).copyData());
        assertFalse(statements.get(0).isCopyFromStdin());
    }

    @Test
    void copyDataWithoutItsEndMarkerIsUnterminated() {
        SqlSplitter.UnterminatedException e = assertThrows(SqlSplitter.UnterminatedException.class,
                () -> SqlSplitter.split("SELECT 1;\nCOPY t (a) FROM stdin;\n1\n2\n"));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("COPY data"), e.getMessage());
    }
}
