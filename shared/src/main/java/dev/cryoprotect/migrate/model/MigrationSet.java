package dev.cryoprotect.migrate.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every migration from a source, ordered by version, plus the Convex schema declared cumulatively by their JSON files.
 *
 * @param warnings what loading noticed but did not refuse (skipped files, absorbed BEGIN/COMMIT), one line each
 */
public record MigrationSet(List<Migration> migrations, Map<String, TableSchema> declaredSchema,
                           List<ConvexMigration.IndexDef> declaredIndexes, List<String> warnings) {

    public MigrationSet(List<Migration> migrations, Map<String, TableSchema> declaredSchema,
                        List<ConvexMigration.IndexDef> declaredIndexes) {
        this(migrations, declaredSchema, declaredIndexes, List.of());
    }

    public MigrationSet {
        warnings = List.copyOf(warnings);
        List<Migration> sorted = new ArrayList<>(migrations);
        sorted.sort(Comparator.comparing(Migration::version));
        migrations = List.copyOf(sorted);
        declaredSchema = Collections.unmodifiableMap(new LinkedHashMap<>(declaredSchema));
        declaredIndexes = List.copyOf(declaredIndexes);
    }

    /** The migration of this version (binary search: a plan looks up every applied version, hundreds at a time). */
    public Optional<Migration> find(Version version) {
        int low = 0;
        int high = migrations.size() - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            int order = migrations.get(middle).version().compareTo(version);
            if (order == 0) {
                return Optional.of(migrations.get(middle));
            }
            if (order < 0) {
                low = middle + 1;
            } else {
                high = middle - 1;
            }
        }
        return Optional.empty();
    }

    public List<Migration> touching(Database database) {
        return migrations.stream().filter(m -> m.touches(database)).toList();
    }

    public Optional<Version> latest() {
        return migrations.isEmpty() ? Optional.empty() : Optional.of(migrations.get(migrations.size() - 1).version());
    }
}
