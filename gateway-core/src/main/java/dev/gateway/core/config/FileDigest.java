package dev.gateway.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a file held, as the hex SHA-256 of its bytes: how a reload tells that a file changed. Its content, not its
 * time stamps, which a copy may keep and a second may hide.
 */
public final class FileDigest {

    /** The digest of a path that is not a regular file, or cannot be read. */
    public static final String ABSENT = "absent";

    private FileDigest() {
    }

    /** The digest of {@code bytes}. */
    public static String of(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    /** The digest of what {@code file} holds now, or {@link #ABSENT}. */
    public static String of(Path file) {
        if (!Files.isRegularFile(file)) {
            return ABSENT;
        }
        try {
            return of(Files.readAllBytes(file));
        } catch (IOException e) {
            return ABSENT;
        }
    }
}
