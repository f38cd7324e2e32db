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
     * @param lookup the declared index whose leading fields the filter names, so Convex reads that range rather than
     *               the whole table (null: no such index, or an insert)
     */
    public record DataOp(int index, OpType type, String table, ObjectNode filter, ObjectNode data,
                         ObjectNode originalData, int line, Map<String, Object> values, Map<String, Object> match,
                         Lookup lookup) {

        public DataOp withValues(Map<String, Object> values, Map<String, Object> match) {
            return new DataOp(index, type, table, filter, data, originalData, line, values, match, lookup);
        }

        public DataOp withLookup(Lookup lookup) {
            return new DataOp(index, type, table, filter, data, originalData, line, values, match, lookup);
        }
    }

    /** An index and its leading fields, each of which the op's filter gives a value for. */
    public record Lookup(String index, List<String> fields) {
        public Lookup {
            fields = List.copyOf(fields);
        }

        /**
         * The declared index of {@code table} that narrows the filter most (most leading fields it names; the first
         * declared of equals), or null when none starts with a field the filter names.
         */
        public static Lookup choose(String table, Map<String, Object> filter, List<IndexDef> declared) {
            Lookup best = null;
            for (IndexDef index : declared) {
                if (!index.table().equals(table)) {
                    continue;
                }
                int named = 0;
                // A dotted index field is a path into an object, which an op's filter (top-level fields) never names.
                while (named < index.fields().size() && !index.fields().get(named).contains(".")
                        && filter.containsKey(index.fields().get(named))) {
                    named++;
                }
                if (named > 0 && (best == null || named > best.fields().size())) {
                    best = new Lookup(index.name(), index.fields().subList(0, named));
                }
            }
            return best;
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
