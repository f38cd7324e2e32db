package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
