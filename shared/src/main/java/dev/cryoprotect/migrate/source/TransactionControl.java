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
final class TransactionControl {
    private static final Pattern WORDS = Pattern.compile("[A-Za-z_]+");
    private static final Pattern COMMENTS = Pattern.compile("(?s)/\\*.*?\\*/|--[^\n]*");
    /** The first words of every statement {@link #kind} looks further at. */
    private static final java.util.Set<String> CONTROL_WORDS = java.util.Set.of("BEGIN", "START", "COMMIT", "END",
            "ROLLBACK", "ABORT", "PREPARE");

    /** The statements to run and what was said about them. */
    record Result(List<SqlStatement> statements, List<Problem> problems, List<String> notices) {
    }

    private enum Kind { NONE, BEGIN, COMMIT, COMMIT_AND_CHAIN, ROLLBACK, PREPARED }

    private TransactionControl() {
    }

    static Result check(String file, List<SqlStatement> statements) {
        List<SqlStatement> kept = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        List<Integer> absorbed = new ArrayList<>();
        SqlStatement open = null; // the BEGIN of the pair being absorbed
        for (int i = 0; i < statements.size() && problems.isEmpty(); i++) { // the first refusal is the one to fix
            SqlStatement statement = statements.get(i);
            List<String> words = mayControlTransactions(statement.sql()) ? words(statement.sql()) : List.of();
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
        return new Result(kept, problems, notices);
    }

    private static Problem refusal(String file, SqlStatement statement, String what) {
        return new Problem(file, statement.startLine(), what + ". Nothing was run. Remove it (the file runs in one"
                + " transaction already), or put '" + SqlScript.NO_TRANSACTION_MARKER + "' on the first line to manage"
                + " transactions yourself");
    }

    /** The first words of a statement, upper case (statements start at their first code character). */
    private static List<String> words(String sql) {
        List<String> words = new ArrayList<>();
        String head = sql.length() > 200 ? sql.substring(0, 200) : sql;
        Matcher m = WORDS.matcher(COMMENTS.matcher(head).replaceAll(" "));
        while (m.find() && words.size() < 8) {
            words.add(m.group().toUpperCase(Locale.ROOT));
        }
        return words;
    }

    /**
     * False when the statement's leading word rules out transaction control, which is nearly every statement: the
     * full look at its words (comments removed) is then not needed.
     */
    private static boolean mayControlTransactions(String sql) {
        int end = 0;
        while (end < sql.length() && isWordChar(sql.charAt(end))) {
            end++;
        }
        // a comment or another character first: look properly
        return end == 0 || CONTROL_WORDS.contains(sql.substring(0, end).toUpperCase(Locale.ROOT));
    }

    private static boolean isWordChar(char c) {
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
