package dev.cryoprotect.migrate.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cryoprotect.migrate.convex.DocumentLimits;
import dev.cryoprotect.migrate.model.Checksums;
import dev.cryoprotect.migrate.model.ConvexMigration.DataOp;
import dev.cryoprotect.migrate.model.ConvexMigration.IndexDef;
import dev.cryoprotect.migrate.model.ConvexMigration.OpType;
import dev.cryoprotect.migrate.model.ConvexMigration;
import dev.cryoprotect.migrate.model.FieldType;
import dev.cryoprotect.migrate.model.TableSchema;
import dev.cryoprotect.migrate.model.Version;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses one Convex migration file in the seed's format. Structure errors name the file, the line and the JSON path
 * (for example {@code 002_x.json:14: data[2].type: unknown op type 'upsert'}). Checks that need the other files (does
 * the op's table exist in the cumulative schema?) are done by {@link MigrationLoader}.
 */
final class ConvexMigrationParser {
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            // A second value after the object (two files pasted into one) is an error, not silently ignored.
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Set<String> TOP_LEVEL = Set.of("version", "name", "description", "schema", "data", "indexes",
            "batched");

    private final String file;
    private final List<Problem> problems;
    private Map<String, Integer> lines = Map.of();

    private ConvexMigrationParser(String file, List<Problem> problems) {
        this.file = file;
        this.problems = problems;
    }

    /** Returns the migration, or null after adding at least one problem. */
    static ConvexMigration parse(String file, String text, String checksum, Version version, String name,
                                 List<Problem> problems) {
        return new ConvexMigrationParser(file, problems).parse(text, checksum, version, name);
    }

    private ConvexMigration parse(String text, String checksum, Version version, String name) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
            lines = lineIndex(text);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            int column = e.getLocation() == null ? 0 : e.getLocation().getColumnNr();
            // The parser's own message can end in its source description; the line and column say where, plainly.
            String why = e.getOriginalMessage().replaceAll("(?s)\\s*at \\[Source:.*$", "")
                    .replaceAll("(?s)\\[Source: .*?\\]", "").strip();
            problems.add(new Problem(file, line > 0 ? line : null, "malformed JSON" + (column > 0 ? " (column "
                    + column + ")" : "") + ": " + why));
            return null;
        }
        if (root == null || !root.isObject()) {
            problems.add(new Problem(file, 1, "must be a JSON object with version, name, schema, data and indexes"));
            return null;
        }
        int before = problems.size();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!TOP_LEVEL.contains(key)) {
                add("/" + key, key + ": unknown field (expected one of version, name, description, schema, data, indexes, batched)");
            }
        }
        checkVersionAndName(root, version, name);
        String description = optionalText(root, "description");
        boolean batched = false;
        if (root.has("batched")) {
            if (root.get("batched").isBoolean()) {
                batched = root.get("batched").booleanValue();
            } else {
                add("/batched", "batched: must be true or false");
            }
        }
        Map<String, TableSchema> schema = parseSchema(root.get("schema"));
        List<DataOp> ops = parseOps(root.get("data"));
        List<IndexDef> indexes = parseIndexes(root.get("indexes"));
        if (problems.size() > before) {
            return null;
        }
        return new ConvexMigration(file, checksum, Checksums.equivalents(text), version, name, description, schema, ops,
                indexes, batched);
    }

    private void checkVersionAndName(JsonNode root, Version version, String name) {
        JsonNode v = root.get("version");
        if (v == null) {
            add("", "version: missing (expected \"" + version.text() + "\", as in the file name)");
        } else if (!v.isTextual() || !Version.isValid(v.textValue())) {
            add("/version", "version: must be a string of digits such as \"" + version.text() + "\"");
        } else if (!Version.parse(v.textValue()).sameAs(version)) {
            add("/version", "version: \"" + v.textValue() + "\" disagrees with the file name's version "
                    + version.text());
        }
        JsonNode n = root.get("name");
        if (n != null && (!n.isTextual() || !n.textValue().equals(name))) {
            add("/name", "name: " + n + " disagrees with the file name's name '" + name + "'");
        }
    }

    private String optionalText(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return "";
        }
        if (!node.isTextual()) {
            add("/" + field, field + ": must be a string");
            return "";
        }
        return node.textValue();
    }

    private Map<String, TableSchema> parseSchema(JsonNode schema) {
        Map<String, TableSchema> tables = new LinkedHashMap<>();
        if (schema == null || schema.isNull()) {
            return tables;
        }
        if (!schema.isObject()) {
            add("/schema", "schema: must be an object of tables");
            return tables;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> table = it.next();
            String pointer = "/schema/" + escape(table.getKey());
            if (!TableSchema.isValidTableName(table.getKey())) {
                add(pointer, "schema." + table.getKey() + ": bad table name (a letter, then letters, digits, underscores)");
                continue;
            }
            if (TableSchema.FRAMEWORK_TABLES.contains(table.getKey())) {
                add(pointer, "schema." + table.getKey() + ": the migration framework keeps its own table of that name"
                        + " (convex/migrations/schema.ts); a migration cannot declare or write it");
                continue;
            }
            if (!table.getValue().isObject()) {
                add(pointer, "schema." + table.getKey() + ": must be an object of field: type");
                continue;
            }
            tables.put(table.getKey(), new TableSchema(table.getKey(),
                    parseFields(table.getValue(), pointer, "schema." + table.getKey())));
        }
        return tables;
    }

    private Map<String, TableSchema.Field> parseFields(JsonNode object, String pointer, String path) {
        Map<String, TableSchema.Field> fields = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String fieldPointer = pointer + "/" + escape(field.getKey());
            String fieldPath = path + "." + field.getKey();
            String nameProblem = TableSchema.fieldNameProblem(field.getKey());
            if (nameProblem != null) {
                add(fieldPointer, fieldPath + ": " + nameProblem);
                continue;
            }
            TableSchema.Field parsed = parseField(field.getValue(), fieldPointer, fieldPath);
            if (parsed != null) {
                fields.put(field.getKey(), parsed);
            }
        }
        return fields;
    }

    private TableSchema.Field parseField(JsonNode type, String pointer, String path) {
        if (type.isObject()) {
            return new TableSchema.Field(new FieldType.Obj(parseFields(type, pointer, path)), false);
        }
        if (type.isArray()) {
            if (type.size() != 1) {
                add(pointer, path + ": an array type is written [elementType] with exactly one element");
                return null;
            }
            TableSchema.Field element = parseField(type.get(0), pointer + "/0", path + "[]");
            return element == null ? null : new TableSchema.Field(new FieldType.Array(element.type()), false);
        }
        if (!type.isTextual()) {
            add(pointer, path + ": type must be a string such as \"string\" or \"number?\", an object or [type]");
            return null;
        }
        String expression = type.textValue().strip();
        boolean optional = expression.endsWith("?");
        if (optional) {
            expression = expression.substring(0, expression.length() - 1);
        }
        try {
            return new TableSchema.Field(FieldType.parse(expression), optional);
        } catch (IllegalArgumentException e) {
            add(pointer, path + ": " + e.getMessage());
            return null;
        }
    }

    private List<DataOp> parseOps(JsonNode data) {
        List<DataOp> ops = new ArrayList<>();
        if (data == null || data.isNull()) {
            return ops;
        }
        if (!data.isArray()) {
            add("/data", "data: must be an array of operations");
            return ops;
        }
        for (int i = 0; i < data.size(); i++) {
            String pointer = "/data/" + i;
            String path = "data[" + i + "]";
            JsonNode op = data.get(i);
            if (!op.isObject()) {
                add(pointer, path + ": must be an object with type, table and data or filter");
                continue;
            }
            for (Iterator<String> it = op.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!Set.of("type", "table", "data", "filter", "originalData").contains(key)) {
                    add(pointer + "/" + escape(key), path + "." + key
                            + ": unknown field (expected type, table, data, filter, originalData)");
                }
            }
            JsonNode typeNode = op.get("type");
            OpType type = null;
            if (typeNode == null || !typeNode.isTextual()) {
                add(pointer, path + ".type: missing (expected insert, update or delete)");
            } else {
                try {
                    type = OpType.valueOf(typeNode.textValue().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    add(pointer + "/type", path + ".type: unknown op type '" + typeNode.textValue()
                            + "' (expected insert, update or delete)");
                }
            }
            JsonNode table = op.get("table");
            if (table == null || !table.isTextual() || !TableSchema.isValidTableName(table.textValue())) {
                add(pointer, path + ".table: missing or not a table name");
            }
            ObjectNode filter = objectOrNull(op, "filter", pointer, path);
            ObjectNode fields = objectOrNull(op, "data", pointer, path);
            ObjectNode original = objectOrNull(op, "originalData", pointer, path);
            if (type == OpType.INSERT && fields == null) {
                add(pointer, path + ": an insert needs a \"data\" object (the new document)");
            }
            if (type == OpType.INSERT && fields != null) {
                // The local backend would store what production refuses: too large or too nested a document.
                byte[] json = fields.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                String problem = DocumentLimits.problem(json, json.length, -1);
                if (problem != null) {
                    add(pointer + "/data", path + ".data: " + problem);
                }
            }
            if (type == OpType.UPDATE && (fields == null || filter == null)) {
                add(pointer, path + ": an update needs a \"filter\" object and a \"data\" object (the fields to set)");
            }
            if (type == OpType.DELETE && filter == null) {
                add(pointer, path + ": a delete needs a \"filter\" object");
            }
            if (type != OpType.INSERT && filter != null && filter.isEmpty()) {
                add(pointer + "/filter", path + ".filter: an empty filter would match every document; list the fields to match");
            }
            if (type != null && table != null && table.isTextual()) {
                ops.add(new DataOp(i, type, table.textValue(), filter, fields, original, lineOf(pointer), null, null, null));
            }
        }
        return ops;
    }

    private ObjectNode objectOrNull(JsonNode op, String field, String pointer, String path) {
        JsonNode node = op.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            add(pointer + "/" + field, path + "." + field + ": must be an object");
            return null;
        }
        return (ObjectNode) node;
    }

    private List<IndexDef> parseIndexes(JsonNode indexes) {
        List<IndexDef> result = new ArrayList<>();
        if (indexes == null || indexes.isNull()) {
            return result;
        }
        if (!indexes.isArray()) {
            add("/indexes", "indexes: must be an array of {table, name, fields}");
            return result;
        }
        for (int i = 0; i < indexes.size(); i++) {
            String pointer = "/indexes/" + i;
            String path = "indexes[" + i + "]";
            JsonNode index = indexes.get(i);
            JsonNode table = index.get("table");
            JsonNode name = index.get("name");
            JsonNode fields = index.get("fields");
            if (!index.isObject() || table == null || !table.isTextual() || name == null || !name.isTextual()
                    || fields == null || !fields.isArray() || fields.isEmpty()) {
                add(pointer, path + ": must be {\"table\": ..., \"name\": ..., \"fields\": [at least one field]}");
                continue;
            }
            if (!TableSchema.isValidTableName(name.textValue())) {
                add(pointer + "/name", path + ".name: bad index name '" + name.textValue() + "'");
                continue;
            }
            if (name.textValue().equals("by_id") || name.textValue().equals("by_creation_time")) {
                add(pointer + "/name", path + ".name: '" + name.textValue() + "' is the name of a system index Convex"
                        + " defines on every table");
                continue;
            }
            List<String> names = new ArrayList<>();
            for (JsonNode f : fields) {
                if (!f.isTextual()) {
                    add(pointer + "/fields", path + ".fields: must be field names");
                } else if (names.contains(f.textValue())) {
                    add(pointer + "/fields", path + ".fields: '" + f.textValue() + "' is named twice");
                }
                names.add(f.asText());
            }
            result.add(new IndexDef(table.textValue(), name.textValue(), names, lineOf(pointer)));
        }
        return result;
    }

    private void add(String pointer, String message) {
        problems.add(new Problem(file, lineOf(pointer), message));
    }

    private Integer lineOf(String pointer) {
        for (String p = pointer; ; p = p.substring(0, p.lastIndexOf('/'))) {
            Integer line = lines.get(p);
            if (line != null || p.isEmpty()) {
                return line;
            }
        }
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    /** JSON pointer of every value and field name in the document, mapped to the line where it starts. */
    private static Map<String, Integer> lineIndex(String text) throws JsonProcessingException {
        Map<String, Integer> index = new HashMap<>();
        try (JsonParser parser = JSON.getFactory().createParser(text)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                    continue;
                }
                String pointer = parser.getParsingContext().pathAsPointer().toString();
                if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                    pointer = parser.getParsingContext().getParent() == null ? ""
                            : parser.getParsingContext().getParent().pathAsPointer().toString();
                }
                index.putIfAbsent(pointer, parser.currentTokenLocation().getLineNr());
            }
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("reading a string cannot fail", e);
        }
        return index;
    }
}
