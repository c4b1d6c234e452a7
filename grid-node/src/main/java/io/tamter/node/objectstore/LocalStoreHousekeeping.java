package io.tamter.node.objectstore;

import static io.tamter.node.objectstore.LocalDirectoryObjectStore.LOCK_DIR;
import static io.tamter.node.objectstore.LocalDirectoryObjectStore.STALE_TEMP_AGE;
import static io.tamter.node.objectstore.LocalDirectoryObjectStore.TEMP_PREFIX;
import static io.tamter.node.objectstore.LocalDirectoryObjectStore.VERSION_FILE;
import static io.tamter.node.objectstore.LocalDirectoryObjectStore.VERSION_LINE;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a {@link LocalDirectoryObjectStore} does when it opens a root: check (or write) the
 * version file, and delete the temporary files of writers that died mid-write. Kept apart from
 * the store because it runs once per open, while the store's methods run per object.
 */
final class LocalStoreHousekeeping {
    private static final long PID = ProcessHandle.current().pid();

    private LocalStoreHousekeeping() {
    }

    static void checkVersion(Path root) throws IOException {
        Path file = root.resolve(VERSION_FILE);
        if (!Files.exists(file)) {
            Path temp = root.resolve(TEMP_PREFIX + PID + "-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
            try {
                Files.writeString(temp, VERSION_LINE + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, StandardOpenOption.SYNC);
                Files.createLink(file, temp);
                LocalDirectoryObjectStore.fsyncDirectory(root);
            } catch (FileAlreadyExistsException e) {
                // another process initialized the store first; its file is checked below
            } finally {
                Files.deleteIfExists(temp);
            }
        }
        String found = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!found.equals(VERSION_LINE)) {
            throw new IOException("object store at " + root + " has version '" + found + "' in " + VERSION_FILE
                    + "; this build reads '" + VERSION_LINE + "'");
        }
    }

    /** Deletes temporary files of dead writers anywhere under the root; returns how many. */
    static int cleanTemporaryFiles(Path root) throws IOException {
        int[] removed = {0};
        Instant staleBefore = Instant.now().minus(STALE_TEMP_AGE);
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return dir.getFileName() != null && dir.getFileName().toString().equals(LOCK_DIR)
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String name = file.getFileName().toString();
                if (name.startsWith(TEMP_PREFIX) && isLeftover(name, attrs.lastModifiedTime().toInstant(), staleBefore)) {
                    if (Files.deleteIfExists(file)) removed[0]++;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw e;
            }
        });
        return removed[0];
    }

    /** Whether a temporary file can no longer belong to a live write. */
    static boolean isLeftover(String name, Instant modified, Instant staleBefore) {
        if (modified.isBefore(staleBefore)) return true;
        String rest = name.substring(TEMP_PREFIX.length());
        int dash = rest.indexOf('-');
        long pid;
        try {
            pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
        } catch (NumberFormatException e) {
            return true; // not a name this class writes
        }
        Optional<ProcessHandle> owner = ProcessHandle.of(pid);
        if (owner.isEmpty() || !owner.get().isAlive()) return true;
        // the pid was reused when the file is older than the process now holding it (1 s of slack
        // for the coarse start time the OS reports)
        Optional<Instant> started = owner.get().info().startInstant();
        return started.isPresent() && modified.isBefore(started.get().minusSeconds(1));
    }

}
