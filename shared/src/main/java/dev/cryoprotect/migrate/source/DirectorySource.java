package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Migration files in one local directory (not its subdirectories). A link is followed only to a file inside the
 * directory: one leading elsewhere could carry a local file (a secret) into a remote database and its logs.
 */
public final class DirectorySource implements MigrationSource {
    private final Path directory;
    private volatile List<String> listedFolders; // by the last files(), for folders()

    public DirectorySource(Path directory) {
        this.directory = directory;
    }

    @Override
    public List<SourceFile> files() {
        if (!Files.isDirectory(directory)) {
            throw new MigrateException(Failure.BAD_INPUT, "migrations directory " + directory
                    + " does not exist; pass --migrations DIR or create it with 'migrate create --name NAME'");
        }
        List<Path> entries = new ArrayList<>();
        Path home;
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(directory)) {
            home = directory.toRealPath();
            listing.forEach(entries::add);
        } catch (IOException e) {
            throw new MigrateException(Failure.BAD_INPUT, "cannot read migrations directory " + directory + ": "
                    + why(e), e);
        }
        // Each file is a stat and a read: done in parallel for a large folder, as its parsing is.
        java.util.Queue<String> folders = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<SourceFile> files = (entries.size() >= 32 ? entries.parallelStream() : entries.stream())
                .map(entry -> read(entry, home, folders)).filter(java.util.Objects::nonNull).toList();
        listedFolders = List.copyOf(folders);
        return files;
    }

    /**
     * One entry of the folder as a file, or null when it is not one; a sub-folder (not a hidden one) goes into
     * {@code folders}, from the stat that was made anyway.
     */
    private static SourceFile read(Path entry, Path home, java.util.Queue<String> folders) {
        String name = entry.getFileName().toString();
        try {
            BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (attributes.isSymbolicLink()) {
                checkLink(entry, name, home);
                attributes = Files.readAttributes(entry, BasicFileAttributes.class);
            }
            if (!attributes.isRegularFile()) {
                if (attributes.isDirectory() && !name.startsWith(".")) {
                    folders.add(name);
                }
                return null;
            }
            if (attributes.size() > MAX_FILE_BYTES) {
                throw new MigrateException(Failure.BAD_INPUT, name + ": file is larger than "
                        + MAX_FILE_BYTES / (1024 * 1024) + " MiB; split it into several migrations", name, null, null);
            }
            return new SourceFile(name, Files.readAllBytes(entry));
        } catch (java.nio.file.NoSuchFileException e) {
            return null; // a broken link not named like a migration (checkLink let it pass), or deleted meanwhile
        } catch (IOException e) {
            throw new MigrateException(Failure.BAD_INPUT, "cannot read " + entry + ": " + why(e), name, null, e);
        }
    }

    /** A link must resolve to a file inside the folder; a broken one named like a migration is an error too. */
    private static void checkLink(Path entry, String name, Path home) throws IOException {
        if (!Files.exists(entry)) {
            if (LOOKS_LIKE_MIGRATION.matcher(name).matches()) {
                throw new MigrateException(Failure.BAD_INPUT, name + " is a link to a file that does not exist;"
                        + " restore its target or delete the link", name, null, null);
            }
            return;
        }
        if (!entry.toRealPath().startsWith(home)) {
            throw new MigrateException(Failure.BAD_INPUT, name + " is a link to a file outside the migrations folder;"
                    + " copy the file into the folder instead", name, null, null);
        }
    }

    private static final java.util.regex.Pattern LOOKS_LIKE_MIGRATION = java.util.regex.Pattern.compile(
            "[0-9]+_.*\\.(sql|json)");

    /** The sub-folders the last {@link #files()} saw (no second listing), else a listing of its own. */
    @Override
    public List<String> folders() {
        List<String> folders = listedFolders;
        if (folders == null) {
            List<String> listed = new ArrayList<>();
            try (DirectoryStream<Path> listing = Files.newDirectoryStream(directory, entry -> Files.isDirectory(entry)
                    && !entry.getFileName().toString().startsWith("."))) {
                listing.forEach(entry -> listed.add(entry.getFileName().toString()));
            } catch (IOException e) {
                return List.of(); // only a notice depends on it; files() reports an unreadable folder
            }
            folders = listed;
        }
        List<String> sorted = new ArrayList<>(folders);
        sorted.sort(null);
        return sorted;
    }

    @Override
    public boolean exists(String name) {
        return Files.exists(directory.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void createNew(String name, byte[] content) {
        try {
            Files.createDirectories(directory);
            Files.write(directory.resolve(name), content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new MigrateException(Failure.BAD_INPUT, name + " already exists in " + directory
                    + "; refusing to overwrite it", name, null, e);
        } catch (IOException e) {
            String why = why(e);
            throw new MigrateException(Failure.BAD_INPUT, "cannot write " + directory.resolve(name) + ": " + why
                    + (why.equals("Read-only file system") ? " (under `sam local invoke`, add --mount-with WRITE)" : ""),
                    name, null, e);
        }
    }

    /** What went wrong with a file, as the system says it, without the path the message already names. */
    private static String why(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    @Override
    public String describe() {
        return directory.toString();
    }
}
