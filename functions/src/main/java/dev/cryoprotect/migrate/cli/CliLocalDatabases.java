package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.local.LocalConvexBackend;
import dev.cryoprotect.migrate.local.LocalDatabaseException;
import dev.cryoprotect.migrate.local.LocalPostgres;
import dev.cryoprotect.migrate.wiring.LocalDatabases;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The CLI's local default: an embedded PostgreSQL and the local Convex backend under the local folder
 * ({@code --local-dir}, $MIGRATE_LOCAL_DIR, else {@code .local}), started on first use and shared by later commands.
 */
final class CliLocalDatabases implements LocalDatabases {
    private final Path localDir;
    private final Path convexProject;

    CliLocalDatabases(Path localDirOption, Map<String, String> env) {
        if (localDirOption != null && localDirOption.toString().isBlank()) {
            throw Options.emptyOption("--local-dir", "a folder");
        }
        this.localDir = localDirOption != null ? localDirOption : Path.of(env.getOrDefault("MIGRATE_LOCAL_DIR", ".local"));
        this.convexProject = convexProject(env);
    }

    LocalPostgres postgres() {
        return new LocalPostgres(localDir);
    }

    LocalConvexBackend convexBackend() {
        return new LocalConvexBackend(convexProject, localDir.resolve("convex"));
    }

    @Override
    public Optional<String> postgresUrl() {
        try {
            return Optional.of(postgres().ensureRunning());
        } catch (LocalDatabaseException e) {
            throw new MigrateException(Failure.UNREACHABLE, e.getMessage(), e);
        }
    }

    @Override
    public Optional<ConvexEndpoint> convex() {
        if (!LocalConvexBackend.available(convexProject)) {
            return Optional.empty();
        }
        try {
            LocalConvexBackend.Running running = convexBackend().ensureRunning(Map.of());
            return Optional.of(new ConvexEndpoint(running.url(), running.deployKey()));
        } catch (LocalDatabaseException e) {
            throw new MigrateException(Failure.UNREACHABLE, e.getMessage(), e);
        }
    }

    @Override
    public String whyNoConvex() {
        return "CONVEX_URL is not set and the local Convex backend cannot run here (needs node and "
                + convexProject.resolve(LocalConvexBackend.SERVER) + ")";
    }

    /**
     * The convex/ project the local backend serves: $MIGRATE_CONVEX_PROJECT, else ./convex when it is this tool's
     * project, else the convex/ folder of the checkout this CLI was built in (so it works from any folder).
     */
    private static Path convexProject(Map<String, String> env) {
        String configured = env.get("MIGRATE_CONVEX_PROJECT");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured.strip());
        }
        Path here = Path.of("convex");
        if (Files.isRegularFile(here.resolve(LocalConvexBackend.SERVER))) {
            return here;
        }
        try {
            // functions/target/migrate.jar (or functions/target/classes) -> the checkout's root
            Path code = Path.of(CliLocalDatabases.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path root = code.getParent() == null ? null : code.getParent().getParent();
            if (root != null && root.getParent() != null
                    && Files.isRegularFile(root.getParent().resolve("convex").resolve(LocalConvexBackend.SERVER))) {
                return root.getParent().resolve("convex");
            }
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // no code location: keep ./convex
        }
        return here;
    }
}
