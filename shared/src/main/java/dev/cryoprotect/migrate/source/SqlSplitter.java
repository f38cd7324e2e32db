package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a PostgreSQL script into statements the way psql does: semicolons end a statement except inside quotes
 * ('...', E'...', "..."), dollar quotes ($$...$$, $tag$...$tag$), comments (--, nested /* *&#47;), parentheses (a
 * multi-action rule's {@code DO ALSO (...; ...)}, as pg_dump writes it) and SQL-standard function bodies
 * (BEGIN ATOMIC ... END). A {@code COPY ... FROM stdin} statement takes the data lines after it, up to
 * a line {@code \.}, as pg_dump writes them. Each statement keeps its starting line, so a server error position can
 * be mapped back to a line of the file.
 */
public final class SqlSplitter {

    /** A quote or comment that never ends; {@code line} is where it starts. */
    public static final class UnterminatedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int line;

        UnterminatedException(String what, int line) {
            super("unterminated " + what + " starting on line " + line);
            this.line = line;
        }

        public int line() {
            return line;
        }
    }

    private final String sql;
    private int pos;
    private int line = 1;
    private final List<Integer> skippedMetaCommands = new ArrayList<>();

    private SqlSplitter(String sql) {
        this.sql = sql;
    }

    public static List<SqlStatement> split(String sql) throws UnterminatedException {
        return split(sql, new ArrayList<>());
    }

    /**
     * As {@link #split(String)}, skipping pg_dump's restrict and unrestrict lines (a backslash, then the word) where a
     * statement would start, and adding their numbers to {@code skippedLines}. pg_dump 17.6 and later writes them
     * around a dump; they only guard psql's own meta-commands, so running the SQL without them changes nothing. Other
     * meta-commands stay in the text, where the server refuses them and the error names their line.
     */
    public static List<SqlStatement> split(String sql, List<Integer> skippedLines) throws UnterminatedException {
        SqlSplitter splitter = new SqlSplitter(sql);
        List<SqlStatement> statements = splitter.run();
        skippedLines.addAll(splitter.skippedMetaCommands);
        return statements;
    }

    private List<SqlStatement> run() throws UnterminatedException {
        List<SqlStatement> statements = new ArrayList<>();
        int start = -1;          // first significant character of the current statement
        int startLine = 0;
        int blockDepth = 0;      // BEGIN/CASE ... END nesting inside CREATE FUNCTION/PROCEDURE bodies
        int parenDepth = 0;      // as psql: no statement ends inside parentheses (a rule's DO (...; ...)), and a
                                 // BEGIN there (a parameter named "begin") opens no block
        boolean routine = false; // the current statement creates a function or procedure
        List<String> firstWords = new ArrayList<>();

        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            boolean ends = c == ';' && blockDepth == 0 && parenDepth == 0;
            boolean code = !Character.isWhitespace(c) && !(c == '-' && peek(1) == '-') && !(c == '/' && peek(1) == '*')
                    && !ends;
            if (code && start < 0) {
                start = pos; // statements start at their first code character, after any leading comments
                startLine = line;
            }
            if (c == '\\' && start == pos && isRestrictLine()) {
                skippedMetaCommands.add(line);
                pos = lineEnd(pos); // the line break itself is counted below
                start = -1;
            } else if (isLineBreak(pos)) {
                line++;
                pos++;
            } else if (c == '-' && peek(1) == '-') {
                skipLineComment();
            } else if (c == '/' && peek(1) == '*') {
                skipBlockComment();
            } else if (c == '\'') {
                boolean escapes = pos > 0 && (sql.charAt(pos - 1) == 'E' || sql.charAt(pos - 1) == 'e')
                        && (pos < 2 || !isIdentChar(sql.charAt(pos - 2)));
                skipQuoted('\'', escapes, "string literal");
            } else if (c == '"') {
                skipQuoted('"', false, "quoted identifier");
            } else if (c == '$' && dollarTagAt(pos) != null) {
                skipDollarQuoted(dollarTagAt(pos));
            } else if (c == '(' || c == ')') {
                parenDepth = Math.max(0, parenDepth + (c == '(' ? 1 : -1));
                pos++;
            } else if (ends) {
                if (start >= 0) {
                    String text = sql.substring(start, pos + 1);
                    pos++;
                    statements.add(firstWords.size() > 0 && firstWords.get(0).equals("COPY") && COPY_FROM_STDIN
                            .matcher(withoutComments(text)).find() ? copyStatement(text, startLine) : new SqlStatement(text, startLine));
                } else {
                    pos++;
                }
                start = -1;
                routine = false;
                parenDepth = 0;
                firstWords.clear();
            } else if (isIdentStart(c) && (pos == 0 || !isIdentChar(sql.charAt(pos - 1)))) {
                int end = pos;
                while (end < sql.length() && isIdentChar(sql.charAt(end))) {
                    end++;
                }
                String word = sql.substring(pos, end).toUpperCase(Locale.ROOT);
                if (firstWords.size() < 6) {
                    firstWords.add(word);
                    if (firstWords.get(0).equals("CREATE")
                            && (word.equals("FUNCTION") || word.equals("PROCEDURE"))) {
                        routine = true;
                    }
                }
                if (routine && parenDepth == 0) {
                    if (word.equals("BEGIN") || word.equals("CASE") && blockDepth > 0) {
                        blockDepth++;
                    } else if (word.equals("END") && blockDepth > 0) {
                        blockDepth--;
                    }
                }
                pos = end;
            } else {
                pos++;
            }
        }
        if (start >= 0) {
            statements.add(new SqlStatement(sql.substring(start), startLine));
        }
        return statements;
    }

    /** {@code COPY ... FROM STDIN}, whatever follows (options such as {@code WITH (FORMAT csv)}). */
    private static final java.util.regex.Pattern COPY_FROM_STDIN = java.util.regex.Pattern.compile(
            "(?is)^COPY\\s.*\\bFROM\\s+STDIN\\b");

    /** The COPY statement with its data: the lines after it up to a line {@code \.}, which it consumes too. */
    private SqlStatement copyStatement(String text, int startLine) throws UnterminatedException {
        int copyLine = line;
        while (pos < sql.length() && sql.charAt(pos) != '\n') {
            pos++; // the rest of the COPY line: psql reads data from the next line on
        }
        if (pos < sql.length()) {
            pos++;
            line++;
        }
        int dataLine = line;
        StringBuilder data = new StringBuilder();
        while (pos < sql.length()) {
            int end = sql.indexOf('\n', pos);
            String row = sql.substring(pos, end < 0 ? sql.length() : end);
            pos = end < 0 ? sql.length() : end + 1;
            line++;
            if (row.equals("\\.") || row.equals("\\.\r")) {
                return new SqlStatement(text, startLine, data.toString(), dataLine);
            }
            data.append(row.endsWith("\r") ? row.substring(0, row.length() - 1) : row).append('\n');
        }
        throw new UnterminatedException("COPY data (no line \\. ends it)", copyLine);
    }

    /** Whether the line from here is pg_dump's restrict or unrestrict meta-command (see {@link #split}). */
    private boolean isRestrictLine() {
        String name = sql.substring(pos, lineEnd(pos)).strip().split("\\s+", 2)[0];
        return name.equals("\\restrict") || name.equals("\\unrestrict");
    }

    /** The statement with its comments blanked, for looking at its words. */
    private static String withoutComments(String text) {
        return text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("--[^\r\n]*", " ").strip();
    }

    /**
     * Whether the character at {@code i} ends a line: a {@code \n}, or a {@code \r} on its own (old Mac files), as
     * editors and PostgreSQL's own scanner count them. In {@code \r\n} only the {@code \n} counts.
     */
    private boolean isLineBreak(int i) {
        char c = i < sql.length() ? sql.charAt(i) : '\0';
        return c == '\n' || c == '\r' && (i + 1 >= sql.length() || sql.charAt(i + 1) != '\n');
    }

    /** Where the line holding {@code i} ends: its {@code \r} or {@code \n}, or the end of the text. */
    private int lineEnd(int i) {
        return lineEnd(sql, i);
    }

    /**
     * Where the line holding {@code i} of {@code text} ends: its {@code \r} or {@code \n}, or the end of the text.
     * PostgreSQL ends a {@code --} comment at either, so every scanner that skips comments asks here.
     */
    public static int lineEnd(String text, int i) {
        while (i < text.length() && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
            i++;
        }
        return i;
    }

    private char peek(int ahead) {
        int i = pos + ahead;
        return i < sql.length() ? sql.charAt(i) : '\0';
    }

    /** To the end of the line, which a lone {@code \r} ends too: PostgreSQL ends a {@code --} comment there. */
    private void skipLineComment() {
        pos = lineEnd(pos);
    }

    private void skipBlockComment() throws UnterminatedException {
        int openedOn = line;
        int depth = 0;
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            if (c == '/' && peek(1) == '*') {
                depth++;
                pos += 2;
            } else if (c == '*' && peek(1) == '/') {
                depth--;
                pos += 2;
                if (depth == 0) {
                    return;
                }
            } else {
                if (isLineBreak(pos)) {
                    line++;
                }
                pos++;
            }
        }
        throw new UnterminatedException("block comment", openedOn);
    }

    private void skipQuoted(char quote, boolean backslashEscapes, String what) throws UnterminatedException {
        int openedOn = line;
        pos++;
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            if (isLineBreak(pos)) {
                line++;
            }
            if (backslashEscapes && c == '\\') {
                if (isLineBreak(pos + 1)) {
                    line++;
                }
                pos += 2;
                continue;
            }
            if (c == quote) {
                if (peek(1) == quote) {
                    pos += 2;
                    continue;
                }
                pos++;
                return;
            }
            pos++;
        }
        throw new UnterminatedException(what, openedOn);
    }

    /** The dollar-quote tag ("$$" or "$name$") starting at {@code i}, or null when this '$' opens none. */
    private String dollarTagAt(int i) {
        if (i > 0 && isIdentChar(sql.charAt(i - 1))) {
            return null; // part of an identifier such as a$b
        }
        int j = i + 1;
        if (j < sql.length() && Character.isDigit(sql.charAt(j))) {
            return null; // positional parameter $1
        }
        while (j < sql.length() && isIdentChar(sql.charAt(j)) && sql.charAt(j) != '$') {
            j++;
        }
        if (j < sql.length() && sql.charAt(j) == '$') {
            return sql.substring(i, j + 1);
        }
        return null;
    }

    private void skipDollarQuoted(String tag) throws UnterminatedException {
        int openedOn = line;
        int close = sql.indexOf(tag, pos + tag.length());
        if (close < 0) {
            throw new UnterminatedException("dollar-quoted string " + tag, openedOn);
        }
        int end = close + tag.length();
        for (int i = pos; i < end; i++) {
            if (isLineBreak(i)) {
                line++;
            }
        }
        pos = end;
    }

    private static boolean isIdentStart(char c) {
        return Character.isLetter(c) || c == '_';
    }

    private static boolean isIdentChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
}
