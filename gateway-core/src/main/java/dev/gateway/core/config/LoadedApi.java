package dev.gateway.core.config;

import java.nio.file.Path;

/**
 * An API definition together with the file it came from, so later checks can name the file.
 *
 * @param idFromFileName true when the file sets no {@code api_id} and the id is the file name without
 *     {@code .json}; messages about the id then say where it came from
 */
public record LoadedApi(ApiDefinition definition, Path file, boolean idFromFileName) {

    /** A definition whose file sets its {@code api_id}. */
    public LoadedApi(ApiDefinition definition, Path file) {
        this(definition, file, false);
    }

    public String fileName() {
        return file.getFileName().toString();
    }
}
