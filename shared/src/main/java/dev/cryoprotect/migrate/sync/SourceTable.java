package dev.cryoprotect.migrate.sync;

import java.util.List;
import java.util.Optional;

/**
 * A source table as the catalog describes it: its columns (with PostgreSQL type names), primary key and, for an
 * incremental sync, its cursor column.
 */
public record SourceTable(String schema, String name, List<Column> columns, List<Column> primaryKey,
                          Optional<Column> cursor) {

    /**
     * @param udtName    PostgreSQL's type name, such as {@code int8}, {@code timestamptz}, {@code _text} (an array)
     * @param sqlType    the type as SQL writes it ({@code format_type}), for casting bound parameters
     */
    public record Column(String name, String udtName, String sqlType) {
        public boolean isArray() {
            return udtName.startsWith("_");
        }
    }

    public String qualified() {
        return quote(schema) + "." + quote(name);
    }

    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
