package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.SqlScript;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a transactional file may say about transactions. The file already runs in one transaction together with its
 * history row, so a {@code BEGIN … COMMIT} pair around its statements is absorbed (and said once as a notice), while
 * anything else that would end that transaction early ({@code COMMIT} alone, {@code ROLLBACK}, {@code COMMIT AND
 * CHAIN}, prepared transactions, a {@code BEGIN} never committed) is refused before anything runs. Savepoints stay:
 * they do not end the transaction.
 */
public final class TransactionControl {
    private static final Pattern COMMENTS = Pattern.compile("(?s)/\\*.*?\\*/|--[^\r\n]*");

    /**
     * The statements to run, whether the file runs in one transaction (not when it holds a statement that runs only
     * outside one), and what was said about them.
     */
    record Result(List<SqlStatement> statements, boolean transactional, List<Problem> problems, List<String> notices) {
    }

    private enum Kind { NONE, BEGIN, COMMIT, COMMIT_AND_CHAIN, ROLLBACK, PREPARED }

    private TransactionControl() {
    }

    /** A file without the no-transaction marker: its transaction control, and whether it can run in one transaction. */
    static Result check(String file, List<SqlStatement> statements) {
        List<List<String>> allWords = statements.stream().map(s -> words(s.sql())).toList(); // read once, used twice
        SqlStatement outsideOnly = firstOutsideTransactionOnly(statements, allWords);
        if (outsideOnly != null) {
            return new Result(statements, false, List.of(), List.of(file + ": runs outside a transaction, statement by"
                    + " statement, as if marked '" + SqlScript.NO_TRANSACTION_MARKER + "': line "
                    + outsideOnly.startLine() + " cannot run inside one (the Supabase CLI runs it outside too). If it"
                    + " stops part way, 'migrate " + (file.endsWith(".down.sql") ? "rollback" : "apply")
                    + " --resume' finishes it"));
        }
        List<SqlStatement> kept = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        List<Integer> absorbed = new ArrayList<>();
        SqlStatement open = null; // the BEGIN of the pair being absorbed
        for (int i = 0; i < statements.size() && problems.isEmpty(); i++) { // the first refusal is the one to fix
            SqlStatement statement = statements.get(i);
            List<String> words = allWords.get(i);
            Kind kind = kind(words);
            switch (kind) {
                case NONE -> kept.add(statement);
                case BEGIN -> {
                    if (open != null) {
                        problems.add(refusal(file, statement, "a second BEGIN before the COMMIT of the one on line "
                                + open.startLine()));
                    } else if (!modes(statement).isEmpty() && !kept.isEmpty()) {
                        problems.add(refusal(file, statement, "BEGIN with transaction modes after other statements"));
                    } else {
                        open = statement;
                        absorbed.add(statement.startLine());
                        if (!modes(statement).isEmpty()) {
                            // BEGIN ISOLATION LEVEL ...: the same modes for the transaction the file runs in
                            kept.add(new SqlStatement("SET TRANSACTION " + modes(statement), statement.startLine()));
                        }
                    }
                }
                case COMMIT -> {
                    if (open == null) {
                        problems.add(refusal(file, statement, words.get(0) + " without a BEGIN would commit the"
                                + " transaction this file runs in, before its history row is written"));
                    } else {
                        open = null;
                        absorbed.add(statement.startLine());
                    }
                }
                case COMMIT_AND_CHAIN -> problems.add(refusal(file, statement, "COMMIT AND CHAIN would commit the"
                        + " transaction this file runs in, before its history row is written"));
                case ROLLBACK -> problems.add(refusal(file, statement, words.get(0) + " would end the transaction this"
                        + " file runs in"));
                case PREPARED -> problems.add(refusal(file, statement, "a prepared transaction ("
                        + String.join(" ", words.subList(0, Math.min(2, words.size()))) + ") cannot run inside the"
                        + " transaction this file runs in"));
            }
        }
        if (open != null && problems.isEmpty()) {
            problems.add(refusal(file, open, "BEGIN has no COMMIT after it"));
        }
        List<String> notices = new ArrayList<>();
        if (problems.isEmpty() && !absorbed.isEmpty()) {
            notices.add(file + ": its own BEGIN/COMMIT (lines " + absorbed.stream().map(String::valueOf)
                    .reduce((a, b) -> a + ", " + b).orElse("") + ") are absorbed: the file already runs in one"
                    + " transaction together with its history row");
        }
        return new Result(kept, true, problems, notices);
    }

    /** Whether a statement begins, ends or prepares a transaction ({@code BEGIN}, {@code COMMIT}, {@code ROLLBACK}...). */
    public static boolean controlsTransactions(String sql) {
        return kind(words(sql)) != Kind.NONE;
    }

    /**
     * The first statement PostgreSQL refuses to run inside a transaction block, or null: {@code CREATE [UNIQUE] INDEX
     * CONCURRENTLY}, {@code DROP INDEX CONCURRENTLY}, {@code REINDEX … CONCURRENTLY} (and of a whole schema, database
     * or system), {@code VACUUM}, {@code ALTER SYSTEM}, {@code ALTER TABLE … DETACH PARTITION … CONCURRENTLY},
     * {@code CREATE|DROP DATABASE|TABLESPACE}. The Supabase CLI runs such statements outside its transaction, so a
     * file holding one runs as a {@code -- migrate:no-transaction} file does, its own BEGIN/COMMIT sent as written (a
     * file that creates a table in a BEGIN block, then indexes it concurrently after the COMMIT, runs as psql runs it).
     * Only when the file's own transaction control is whole BEGIN … COMMIT blocks, none holding such a statement:
     * one inside a block fails the same way outside a transaction, half-way, and a BEGIN left open (or ROLLBACK, a
     * chain, a prepared transaction) would end or lose what ran. Such a file stays one transaction, where its
     * control is refused before anything runs or the server's refusal says what to do.
     */
    private static SqlStatement firstOutsideTransactionOnly(List<SqlStatement> statements, List<List<String>> allWords) {
        SqlStatement found = null;
        boolean inOwnBlock = false; // after the file's BEGIN, before its COMMIT
        for (int i = 0; i < statements.size(); i++) {
            SqlStatement statement = statements.get(i);
            List<String> w = allWords.get(i);
            Kind control = kind(w);
            if (control == Kind.BEGIN && !inOwnBlock || control == Kind.COMMIT && inOwnBlock) {
                inOwnBlock = control == Kind.BEGIN;
                continue;
            }
            if (control != Kind.NONE) {
                return null; // a nested BEGIN, a COMMIT without BEGIN, ROLLBACK, a chain, a prepared transaction
            }
            String first = w.isEmpty() ? "" : w.get(0);
            String second = w.size() > 1 ? w.get(1) : "";
            boolean outsideOnly = switch (first) {
                case "CREATE" -> second.equals("INDEX") && at(w, 2, "CONCURRENTLY")
                        || second.equals("UNIQUE") && at(w, 2, "INDEX") && at(w, 3, "CONCURRENTLY")
                        || second.equals("DATABASE") || second.equals("TABLESPACE");
                case "DROP" -> second.equals("INDEX") && at(w, 2, "CONCURRENTLY")
                        || second.equals("DATABASE") || second.equals("TABLESPACE");
                case "REINDEX" -> w.subList(0, Math.min(w.size(), 5)).contains("CONCURRENTLY")
                        || w.stream().skip(1).filter(REINDEX_KINDS::contains).findFirst()
                        .filter(kind -> !kind.equals("INDEX") && !kind.equals("TABLE")).isPresent();
                case "VACUUM" -> true;
                case "ALTER" -> second.equals("SYSTEM")
                        || second.equals("TABLE") && w.contains("DETACH") && w.contains("CONCURRENTLY");
                default -> false;
            };
            if (outsideOnly && inOwnBlock) {
                return null;
            }
            if (outsideOnly && found == null) {
                found = statement;
            }
        }
        return inOwnBlock ? null : found; // a BEGIN never committed
    }

    private static final java.util.Set<String> REINDEX_KINDS = java.util.Set.of("INDEX", "TABLE", "SCHEMA", "DATABASE",
            "SYSTEM");

    private static boolean at(List<String> words, int index, String word) {
        return words.size() > index && words.get(index).equals(word);
    }

    private static Problem refusal(String file, SqlStatement statement, String what) {
        return new Problem(file, statement.startLine(), what + ". Nothing was run. Remove it (the file runs in one"
                + " transaction already), or put '" + SqlScript.NO_TRANSACTION_MARKER + "' on the first line to manage"
                + " transactions yourself");
    }

    /**
     * The first words (names and keywords: ASCII letters, digits, underscores and dollars, not starting with a digit or
     * dollar) of a statement's first 200 characters, upper case, with its comments skipped and each quoted name or
     * string as one word of its quote character. Read by hand: this runs for every statement of every file, each time the files load.
     */
    private static List<String> words(String sql) {
        List<String> words = new ArrayList<>();
        int end = Math.min(sql.length(), 200);
        int i = 0;
        while (i < end && words.size() < 12) {
            if (sql.startsWith("--", i)) {
                int lineEnd = SqlSplitter.lineEnd(sql, i); // a \r or \n ends it, as in PostgreSQL
                i = lineEnd < sql.length() ? lineEnd + 1 : end;
            } else if (sql.startsWith("/*", i)) {
                int close = sql.indexOf("*/", i + 2);
                i = close < 0 ? end : close + 2;
            } else if (sql.charAt(i) == '"' || sql.charAt(i) == '\'') {
                // A quoted name or a string is one word that is no keyword: CREATE INDEX "concurrently" ON t (x)
                // builds an index named concurrently, in a transaction like any other.
                char quote = sql.charAt(i);
                i++;
                while (i < sql.length() && (sql.charAt(i) != quote || i + 1 < sql.length() && sql.charAt(i + 1) == quote)) {
                    i += sql.charAt(i) == quote ? 2 : 1; // a doubled quote is one quote character inside
                }
                i++;
                words.add(String.valueOf(quote));
            } else if (isWordStart(sql.charAt(i))) {
                int start = i;
                while (i < end && (isWordStart(sql.charAt(i)) || sql.charAt(i) >= '0' && sql.charAt(i) <= '9'
                        || sql.charAt(i) == '$')) {
                    i++;
                }
                words.add(sql.substring(start, i).toUpperCase(Locale.ROOT));
            } else {
                i++;
            }
        }
        return words;
    }

    private static boolean isWordStart(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_';
    }

    private static Kind kind(List<String> words) {
        if (words.isEmpty()) {
            return Kind.NONE;
        }
        String first = words.get(0);
        String second = words.size() > 1 ? words.get(1) : "";
        return switch (first) {
            case "BEGIN" -> second.equals("ATOMIC") ? Kind.NONE : Kind.BEGIN;
            case "START" -> second.equals("TRANSACTION") ? Kind.BEGIN : Kind.NONE;
            case "COMMIT", "END" -> second.equals("PREPARED") ? Kind.PREPARED
                    : words.contains("CHAIN") && !words.contains("NO") ? Kind.COMMIT_AND_CHAIN : Kind.COMMIT;
            case "ROLLBACK" -> second.equals("PREPARED") ? Kind.PREPARED
                    : words.contains("TO") ? Kind.NONE : Kind.ROLLBACK; // ROLLBACK TO SAVEPOINT keeps the transaction
            case "ABORT" -> Kind.ROLLBACK;
            case "PREPARE" -> second.equals("TRANSACTION") ? Kind.PREPARED : Kind.NONE;
            default -> Kind.NONE;
        };
    }

    private static final Pattern BEGIN_MODES = Pattern.compile(
            "(?is)^(?:BEGIN(?:\\s+(?:WORK|TRANSACTION))?|START\\s+TRANSACTION)\\b\\s*(.*?)\\s*;?\\s*$");

    /** The transaction modes of a BEGIN or START TRANSACTION ("ISOLATION LEVEL SERIALIZABLE, READ WRITE"), or "". */
    private static String modes(SqlStatement statement) {
        Matcher m = BEGIN_MODES.matcher(COMMENTS.matcher(statement.sql()).replaceAll(" ").strip());
        return m.matches() ? m.group(1).strip() : "";
    }
}
