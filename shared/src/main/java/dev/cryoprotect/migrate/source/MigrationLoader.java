package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.model.Checksums;
import dev.cryoprotect.migrate.model.ConvexDocuments;
import dev.cryoprotect.migrate.model.ConvexMigration.DataOp;
import dev.cryoprotect.migrate.model.ConvexMigration.IndexDef;
import dev.cryoprotect.migrate.model.ConvexMigration;
import dev.cryoprotect.migrate.model.FieldType;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.SqlScript.SqlStatement;
import dev.cryoprotect.migrate.model.SqlScript;
import dev.cryoprotect.migrate.model.TableSchema;
import dev.cryoprotect.migrate.model.Version;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads every file of a {@link MigrationSource} and returns the validated {@link MigrationSet}, or throws
 * {@link InvalidMigrationsException} listing every problem. Nothing is half-loaded: one bad file refuses the whole set,
 * so a run never starts on files it only partly understood.
 */
public final class MigrationLoader {
    /**
     * The Supabase CLI's rule, {@code <digits>_<anything>.sql}, plus this tool's {@code .down.sql} and {@code .json}
     * for the same version. The name may hold hyphens, capitals and dots ({@code 20240214114147_auth-hook.sql}).
     */
    private static final Pattern FILE = Pattern.compile("([0-9]+)_(.*?)(\\.down\\.sql|\\.sql|\\.json)");
    /**
     * Flyway's names: {@code V<version>__<description>.sql}, its undo {@code U<version>__...}, and a repeatable
     * {@code R__<description>.sql}. Told apart from other stray files because a folder brought over from Flyway
     * otherwise reads as "nothing to apply", with no word on what to rename.
     */
    private static final Pattern FLYWAY = Pattern.compile("([VU])([0-9]+(?:[._][0-9]+)*)__(.+)\\.sql|R__(.+)\\.sql");
    public static final int MAX_NAME_LENGTH = 100;

    private MigrationLoader() {
    }

    public static MigrationSet load(MigrationSource source) {
        MigrationSet set = load(source.files());
        List<String> folders = source.folders();
        if (folders.isEmpty()) {
            return set;
        }
        List<String> warnings = new ArrayList<>(set.warnings());
        for (String folder : folders) {
            warnings.add("skipped folder " + folder + "/: sub-folders are not read; migrations must sit in "
                    + source.describe() + " itself");
        }
        return new MigrationSet(set.migrations(), set.declaredSchema(), set.declaredIndexes(), warnings);
    }

    public static MigrationSet load(List<MigrationSource.SourceFile> files) {
        List<Problem> problems = new ArrayList<>();
        Map<Version, VersionFiles> byVersion = new TreeMap<>();
        List<MigrationSource.SourceFile> sorted = new ArrayList<>(files);
        sorted.sort(Comparator.comparing(MigrationSource.SourceFile::name));

        // Decoding, splitting and checksumming each file is independent work: done in parallel for a large folder,
        // then put together in file order, so problems and warnings read the same whichever way it ran.
        java.util.stream.Stream<MigrationSource.SourceFile> stream = sorted.size() >= PARALLEL_FROM
                ? sorted.parallelStream() : sorted.stream();
        List<FileResult> results = stream.map(MigrationLoader::readFile).toList();

        List<String> warnings = new ArrayList<>();
        // Flyway files beside migrations of ours are skipped with a notice, as any stray file; when they are all the
        // folder holds, the run would silently do nothing, so they are refused (exit 2) with the rename each needs.
        boolean ours = results.stream().anyMatch(r -> r.kind != null);
        Map<String, String> flywayNames = flywayDescriptions(results);
        // Renames suggested in the width the folder's own versions have (14 digits for Supabase CLI timestamps).
        int versionWidth = results.stream().filter(r -> r.kind != null && r.versionText != null)
                .mapToInt(r -> r.versionText.length()).max().orElse(3);
        for (FileResult r : results) {
            if (r.skipped) {
                continue; // .gitkeep, editor files
            }
            Matcher flyway = r.kind == null ? FLYWAY.matcher(r.file) : null;
            if (flyway != null && flyway.matches()) {
                String advice = flywayAdvice(flyway, flywayNames, versionWidth);
                if (ours) {
                    warnings.add("skipped " + r.file + ": " + advice);
                } else {
                    problems.add(new Problem(r.file, null, advice));
                }
                continue;
            }
            if (r.kind == null) {
                warnings.add("skipped " + r.file + ": not a migration file (<digits>_<name>.sql, .down.sql or .json)");
                continue;
            }
            if (r.parsed == null && !r.problems.isEmpty() && r.text == null) {
                problems.addAll(r.problems); // name too long, or not decodable
                continue;
            }
            Version version = Version.parse(r.versionText);
            VersionFiles slot = byVersion.computeIfAbsent(version, v -> new VersionFiles(version, r.name, r.file));
            if (!slot.name.equals(r.name)) {
                problems.add(new Problem(r.file, null, "version " + r.versionText + " is already used by "
                        + slot.firstFile + " with the name '" + slot.name + "'; every file of one version shares one name"));
                continue;
            }
            if (!slot.version.text().equals(r.versionText)) {
                problems.add(new Problem(r.file, null, "version " + r.versionText + " is written "
                        + slot.version.text() + " in " + slot.firstFile + "; spell it the same way in every file"));
                continue;
            }
            problems.addAll(r.problems);
            warnings.addAll(r.warnings);
            switch (r.kind) {
                case ".sql" -> slot.up = (SqlScript) r.parsed;
                case ".down.sql" -> slot.down = (SqlScript) r.parsed;
                default -> slot.convex = (ConvexMigration) r.parsed;
            }
            slot.hasJson |= r.kind.equals(".json");
            slot.hasUp |= r.kind.equals(".sql");
            if (r.kind.equals(".down.sql")) {
                slot.downFile = r.file;
            }
        }

        List<Migration> migrations = new ArrayList<>();
        Map<String, TableSchema> schema = new LinkedHashMap<>();
        List<IndexDef> indexes = new ArrayList<>();
        for (VersionFiles slot : byVersion.values()) {
            if (slot.downFile != null && !slot.hasUp) {
                problems.add(new Problem(slot.downFile, null, "down file without its up file "
                        + slot.version.text() + "_" + slot.name + ".sql"));
                continue;
            }
            if (slot.convex != null) {
                warnings.addAll(schemaChanges(slot.convex, schema));
                slot.convex = checkAgainstSchema(slot.convex, schema, indexes, problems);
            }
            if (slot.hasUp && slot.up == null || slot.hasJson && slot.convex == null
                    || slot.downFile != null && slot.down == null) {
                continue; // the file's own problem is already listed
            }
            migrations.add(new Migration(slot.version, slot.name, Optional.ofNullable(slot.up),
                    Optional.ofNullable(slot.down), Optional.ofNullable(slot.convex)));
        }
        if (!problems.isEmpty()) {
            throw new InvalidMigrationsException(problems);
        }
        orderUnlikeTheSupabaseCli(migrations).ifPresent(warnings::add);
        return new MigrationSet(migrations, schema, indexes, warnings);
    }

    /** The description of each Flyway versioned file ({@code V1__init.sql}: "1" to "init"), to name its undo after it. */
    private static Map<String, String> flywayDescriptions(List<FileResult> results) {
        Map<String, String> names = new TreeMap<>();
        for (FileResult r : results) {
            Matcher m = r.kind == null ? FLYWAY.matcher(r.file) : null;
            if (m != null && m.matches() && "V".equals(m.group(1))) {
                names.putIfAbsent(m.group(2), m.group(3));
            }
        }
        return names;
    }

    /** Why a Flyway-named file is not read, and the name it needs here (a down file pairs by version and name). */
    private static String flywayAdvice(Matcher flyway, Map<String, String> versionedNames, int versionWidth) {
        if (flyway.group(1) == null) {
            return "a Flyway repeatable migration (R__), which this tool does not have: put its statements in a"
                    + " versioned file (<digits>_" + flyway.group(4) + ".sql), and add a new version whenever they change";
        }
        String version = flyway.group(2);
        boolean undo = flyway.group(1).equals("U");
        String name = undo ? versionedNames.getOrDefault(version, flyway.group(3)) : flyway.group(3);
        String suffix = undo ? ".down.sql" : ".sql";
        String what = undo ? "a Flyway undo name (U<version>__<description>.sql)"
                : "a Flyway name (V<version>__<description>.sql)";
        if (!version.chars().allMatch(Character::isDigit)) {
            return what + ", which this tool does not read: versions here are whole numbers, so renumber " + version
                    + " and rename it <digits>_" + name + suffix;
        }
        String digits = "0".repeat(Math.max(0, versionWidth - version.length())) + version;
        return what + ", which this tool does not read: rename it " + digits + "_" + name + suffix
                + (undo ? ", named as the .sql file it undoes" : "");
    }

    /**
     * What a file's schema changes about tables earlier files declared, which the documents already there may not
     * satisfy: a field's type changed, or a required field added. Convex checks a deployed schema against the data,
     * so `npx convex deploy` of the rendered schema would be refused until the documents are migrated to match.
     */
    private static List<String> schemaChanges(ConvexMigration migration, Map<String, TableSchema> schema) {
        List<String> changes = new ArrayList<>();
        migration.schema().forEach((table, declared) -> {
            TableSchema before = schema.get(table);
            if (before == null) {
                return;
            }
            declared.fields().forEach((field, now) -> {
                TableSchema.Field was = before.fields().get(field);
                if (was != null && !was.type().equals(now.type())) {
                    changes.add(migration.fileName() + ": " + table + "." + field + " changes type; documents written"
                            + " before keep their values, which the new type may refuse when the schema is deployed:"
                            + " migrate them in the same file (an update op)");
                } else if (was != null && was.optional() && !now.optional()) {
                    changes.add(migration.fileName() + ": " + table + "." + field + " becomes required; documents"
                            + " without it, which the schema refuses when deployed, need it set in the same file");
                } else if (was == null && !now.optional()) {
                    changes.add(migration.fileName() + ": " + table + "." + field + " is a new required field; documents"
                            + " already in " + table + " lack it, which the schema refuses when deployed: declare it"
                            + " optional (\"" + field + "?\") or set it on every document in the same file");
                }
            });
        });
        return changes;
    }

    /**
     * Merges the file's declared schema into {@code schema}, checks its ops and indexes against the result, and returns
     * the migration with every op's values converted to Convex values (or null after adding problems).
     */
    private static ConvexMigration checkAgainstSchema(ConvexMigration migration, Map<String, TableSchema> schema,
                                                      List<IndexDef> indexes, List<Problem> problems) {
        migration.schema().forEach((table, declared) -> schema.merge(table, declared, TableSchema::mergedWith));
        int before = problems.size();
        List<DataOp> checked = new ArrayList<>();
        for (DataOp op : migration.ops()) {
            TableSchema table = schema.get(op.table());
            String where = "data[" + op.index() + "] (" + op.type().name().toLowerCase(Locale.ROOT) + " " + op.table() + "): ";
            if (table == null) {
                problems.add(new Problem(migration.fileName(), op.line(), "data[" + op.index() + "]: table '"
                        + op.table() + "' is not declared in the schema of this or an earlier migration"
                        + known(schema)));
                continue;
            }
            if (op.data() != null && (op.data().has("_id") || op.data().has("_creationTime"))) {
                problems.add(new Problem(migration.fileName(), op.line(), where + "data cannot set _id or"
                        + " _creationTime: Convex assigns them (a filter may name _id)"));
                continue;
            }
            try {
                Map<String, Object> values = op.data() == null ? null : op.type() == ConvexMigration.OpType.INSERT
                        ? ConvexDocuments.document(table, op.data()) : ConvexDocuments.fields(table, op.data(), "");
                Map<String, Object> match = op.filter() == null ? null : ConvexDocuments.fields(table, op.filter(), "");
                checked.add(op.withValues(values, match));
            } catch (ConvexDocuments.Mismatch e) {
                problems.add(new Problem(migration.fileName(), op.line(), where + e.getMessage()));
            }
        }
        for (IndexDef index : migration.indexes()) {
            TableSchema table = schema.get(index.table());
            if (table == null) {
                problems.add(new Problem(migration.fileName(), index.line(), "index " + index.name() + ": table '"
                        + index.table() + "' is not declared in the schema of this or an earlier migration" + known(schema)));
                continue;
            }
            for (String field : index.fields()) {
                if (!declared(table.fields(), field)) {
                    problems.add(new Problem(migration.fileName(), index.line(), "index " + index.name()
                            + ": field '" + field + "' is not declared on table '" + index.table() + "'"
                            + (field.contains(".") ? " (a dotted name is a path into nested objects, as Convex reads"
                            + " it)" : "")));
                }
            }
            boolean duplicate = indexes.stream().anyMatch(i -> i.table().equals(index.table())
                    && i.name().equals(index.name()));
            if (duplicate) {
                problems.add(new Problem(migration.fileName(), index.line(), "index " + index.name()
                        + " is already defined on table '" + index.table() + "' by an earlier migration"));
            } else {
                indexes.add(index);
            }
        }
        if (problems.size() > before) {
            return null;
        }
        // Chosen after this file's own indexes are known: the schema is deployed before the file is applied.
        return migration.withOps(checked.stream().map(op -> op.match() == null || op.match().containsKey("_id") ? op
                : op.withLookup(ConvexMigration.Lookup.choose(op.table(), op.match(), indexes))).toList());
    }

    /** Whether {@code path} ({@code email}, or {@code profile.address.city} into nested objects) is declared. */
    private static boolean declared(Map<String, TableSchema.Field> fields, String path) {
        int dot = path.indexOf('.');
        TableSchema.Field field = fields.get(dot < 0 ? path : path.substring(0, dot));
        if (field == null || dot < 0) {
            return field != null;
        }
        // Into an object, or an object among a union's options (an optional or nullable object).
        List<FieldType> options = field.type() instanceof FieldType.Union union ? union.options() : List.of(field.type());
        return options.stream().anyMatch(option -> option instanceof FieldType.Obj obj
                && declared(obj.fields(), path.substring(dot + 1)));
    }

    /**
     * Versions compare as numbers here; the Supabase CLI runs its files in file-name order. The two agree while every
     * version has the same number of digits. Where they do not ({@code 20240130_x.sql} among 14-digit versions), say
     * which file runs at another place than the CLI would run it, so nobody finds out from a failing apply.
     */
    private static Optional<String> orderUnlikeTheSupabaseCli(List<Migration> byNumber) {
        List<String> files = byNumber.stream().flatMap(m -> m.up().stream()).map(SqlScript::fileName).toList();
        for (int i = 1; i < files.size(); i++) {
            if (files.get(i - 1).compareTo(files.get(i)) > 0) {
                return Optional.of(files.get(i - 1) + " runs before " + files.get(i) + " here (versions compare as"
                        + " numbers), but after it with the Supabase CLI, which runs files in name order; give every"
                        + " version the same number of digits so both run them in one order");
            }
        }
        return Optional.empty();
    }

    private static String known(Map<String, TableSchema> schema) {
        return schema.isEmpty() ? " (no tables are declared yet)" : " (declared: " + String.join(", ", schema.keySet()) + ")";
    }

    /**
     * The file split into statements. In a transactional file its own BEGIN/COMMIT pair is absorbed (a warning says
     * so) and any other transaction control is a problem: the file must not end the transaction it runs in.
     */
    private static SqlScript sqlScript(String file, String text, List<Problem> problems, List<String> warnings) {
        try {
            int lineEnd = 0;
            while (lineEnd < text.length() && text.charAt(lineEnd) != '\n' && text.charAt(lineEnd) != '\r') {
                lineEnd++;
            }
            String firstLine = text.substring(0, lineEnd).strip();
            boolean marked = firstLine.equalsIgnoreCase(SqlScript.NO_TRANSACTION_MARKER);
            List<Integer> psqlOnly = new ArrayList<>();
            List<SqlStatement> statements = SqlSplitter.split(text, psqlOnly);
            if (!psqlOnly.isEmpty()) {
                warnings.add(file + ": pg_dump's \\restrict/\\unrestrict (line" + (psqlOnly.size() == 1 ? " " : "s ")
                        + psqlOnly.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
                        + ") skipped: they guard psql's own meta-commands and mean nothing to the server");
            }
            boolean transactional = false;
            if (!marked) {
                TransactionControl.Result checked = TransactionControl.check(file, statements);
                if (!checked.problems().isEmpty()) {
                    problems.addAll(checked.problems());
                    return null;
                }
                warnings.addAll(checked.notices());
                statements = checked.statements();
                transactional = checked.transactional();
            }
            return new SqlScript(file, text, Checksums.sha256(text), transactional, statements);
        } catch (SqlSplitter.UnterminatedException e) {
            problems.add(new Problem(file, e.line(), e.getMessage()));
            return null;
        }
    }

    /** Strict UTF-8, with a leading byte-order mark removed. */
    private static String decode(MigrationSource.SourceFile file, List<Problem> problems) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(file.content())).toString();
            if (text.indexOf('\0') >= 0) {
                problems.add(new Problem(file.name(), null, "contains a NUL byte; migration files are UTF-8 text"));
                return null;
            }
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            problems.add(new Problem(file.name(), firstInvalidUtf8Line(file.content()), "is not valid UTF-8 text: this"
                    + " line has a byte that is not (saved in another encoding, such as Latin-1 or Windows-1252?)"));
            return null;
        }
    }

    /** The line of the first byte that is not UTF-8: what a long dump's author needs to find it. */
    private static int firstInvalidUtf8Line(byte[] content) {
        ByteBuffer in = ByteBuffer.wrap(content);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(8192);
        java.nio.charset.CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        while (!decoder.decode(in, out, true).isError() && in.hasRemaining()) {
            out.clear(); // only the position in the input matters
        }
        int line = 1;
        for (int i = 0; i < in.position(); i++) {
            if (content[i] == '\n' || content[i] == '\r' && (i + 1 >= content.length || content[i + 1] != '\n')) {
                line++; // \n, \r\n and a lone \r each end a line, as the splitter counts them
            }
        }
        return line;
    }

    /** The files found for one version while loading. */
    /** Folders of at least this many files are read in parallel. */
    private static final int PARALLEL_FROM = 32;

    /** One file read on its own: what it is, and its parsed content or its problems. */
    private static final class FileResult {
        String file;
        boolean skipped;
        String kind;
        String versionText;
        String name;
        String text;
        Object parsed;
        final List<Problem> problems = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
    }

    private static FileResult readFile(MigrationSource.SourceFile file) {
        FileResult r = new FileResult();
        r.file = file.name();
        if (file.name().startsWith(".")) {
            r.skipped = true;
            return r;
        }
        Matcher m = FILE.matcher(file.name());
        if (!m.matches()) {
            return r;
        }
        r.versionText = m.group(1);
        r.name = m.group(2);
        r.kind = m.group(3);
        if (r.name.length() > MAX_NAME_LENGTH) {
            r.problems.add(new Problem(file.name(), null, "name is longer than " + MAX_NAME_LENGTH + " characters"));
            return r;
        }
        r.text = decode(file, r.problems);
        if (r.text == null) {
            return r;
        }
        r.parsed = switch (r.kind) {
            case ".sql", ".down.sql" -> sqlScript(file.name(), r.text, r.problems, r.warnings);
            default -> ConvexMigrationParser.parse(file.name(), r.text, Checksums.sha256(r.text),
                    Version.parse(r.versionText), r.name, r.problems);
        };
        return r;
    }

    private static final class VersionFiles {
        final Version version;
        final String name;
        final String firstFile;
        SqlScript up;
        SqlScript down;
        ConvexMigration convex;
        boolean hasUp;
        boolean hasJson;
        String downFile;

        VersionFiles(Version version, String name, String firstFile) {
            this.version = version;
            this.name = name;
            this.firstFile = firstFile;
        }
    }
}
