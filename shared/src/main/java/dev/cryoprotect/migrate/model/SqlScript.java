package dev.cryoprotect.migrate.model;

import java.util.List;

/**
 * One {@code .sql} or {@code .down.sql} file, already split into statements.
 *
 * @param transactional false when the first line is {@code -- migrate:no-transaction}
 */
public record SqlScript(String fileName, String text, String checksum, boolean transactional, List<SqlStatement> statements) {
    public static final String NO_TRANSACTION_MARKER = "-- migrate:no-transaction";

    public SqlScript {
        statements = List.copyOf(statements);
    }

    /**
     * One statement and where it starts in the file, for mapping a server error back to a line.
     *
     * @param copyData     for {@code COPY ... FROM stdin}: the data lines that followed it, up to (without) the
     *                     {@code \.} line, each ending in a newline; null for every other statement
     * @param copyDataLine the file line of the first data line (0 without data)
     */
    public record SqlStatement(String sql, int startLine, String copyData, int copyDataLine) {
        public SqlStatement(String sql, int startLine) {
            this(sql, startLine, null, 0);
        }

        public boolean isCopyFromStdin() {
            return copyData != null;
        }

        /** The file line of a 1-based character position inside this statement, as PostgreSQL reports it. */
        public int lineOf(int position) {
            int line = startLine;
            // PostgreSQL counts characters, not Java's UTF-16 units: an emoji before the error is one, not two
            int before = Math.max(position - 1, 0);
            for (int i = 0; i < sql.length() && before > 0; before--) {
                int c = sql.codePointAt(i);
                // a lone \r (old Mac line endings) ends a line as \n and \r\n do; in \r\n only the \n counts
                if (c == '\n' || c == '\r' && (i + 1 == sql.length() || sql.charAt(i + 1) != '\n')) {
                    line++;
                }
                i += Character.charCount(c);
            }
            return line;
        }
    }
}
