package dev.cryoprotect.migrate.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed {@code NNN_name.json} Convex migration in the seed's format: declared schema, data ops and indexes.
 *
 * @param batched the file opted into batched execution ({@code "batched": true}), for data ops too large for one mutation
 */
public record ConvexMigration(String fileName, String checksum, java.util.Set<String> equivalentChecksums,
                              Version version, String name, String description, Map<String, TableSchema> schema,
                              List<DataOp> ops, List<IndexDef> indexes, boolean batched) {

    public ConvexMigration {
        equivalentChecksums = java.util.Set.copyOf(equivalentChecksums);
        schema = Collections.unmodifiableMap(new LinkedHashMap<>(schema));
        ops = List.copyOf(ops);
        indexes = List.copyOf(indexes);
    }

    public enum OpType { INSERT, UPDATE, DELETE }

    /**
     * One data op. {@code filter} selects documents by field equality (update, delete); {@code data} holds the inserted
     * document or the patched fields; {@code originalData} the prior values the author recorded (optional, since the
     * Convex functions record the exact inverse themselves). Nodes are never mutated after parsing.
     *
     * @param index  0-based position in the file's {@code data} array
     * @param line   the file line where the op starts
     * @param values {@code data} as Convex values, checked against the declared schema (null until checked)
     * @param match  {@code filter} as Convex values, checked likewise (null for inserts and until checked)
     */
    public record DataOp(int index, OpType type, String table, ObjectNode filter, ObjectNode data,
                         ObjectNode originalData, int line, Map<String, Object> values, Map<String, Object> match) {

        public DataOp withValues(Map<String, Object> values, Map<String, Object> match) {
            return new DataOp(index, type, table, filter, data, originalData, line, values, match);
        }
    }

    public ConvexMigration withOps(List<DataOp> newOps) {
        return new ConvexMigration(fileName, checksum, equivalentChecksums, version, name, description, schema, newOps,
                indexes, batched);
    }

    /** An index on a table's fields, rendered as {@code .index(name, [fields])}. */
    public record IndexDef(String table, String name, List<String> fields, int line) {
        public IndexDef {
            fields = List.copyOf(fields);
        }
    }
}
