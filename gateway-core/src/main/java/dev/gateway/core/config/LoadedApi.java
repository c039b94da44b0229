package dev.gateway.core.config;

import java.nio.file.Path;

/** An API definition together with the file it came from, so later checks can name the file. */
public record LoadedApi(ApiDefinition definition, Path file) {

    public String fileName() {
        return file.getFileName().toString();
    }
}
