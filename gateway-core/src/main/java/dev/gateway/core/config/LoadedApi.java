package dev.gateway.core.config;

import java.nio.file.Path;

/**
 * An API definition together with the file it came from, so later checks can name the file.
 *
 * @param idFromFileName true when the file sets no {@code api_id} and the id is the file name without
 *     {@code .json}; messages about the id then say where it came from
 * @param digest the {@link FileDigest} of the file's bytes as they were read, which a reload compares to tell an
 *     unchanged definition; empty when unknown, and then the definition never counts as unchanged
 */
public record LoadedApi(ApiDefinition definition, Path file, boolean idFromFileName, String digest) {

    /** A definition whose file sets its {@code api_id}, its bytes unknown. */
    public LoadedApi(ApiDefinition definition, Path file) {
        this(definition, file, false, "");
    }

    public String fileName() {
        return file.getFileName().toString();
    }
}
