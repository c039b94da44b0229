package dev.gateway.core.snapshot;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.FileDigest;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.tls.PemKeyPair;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * What one API's compiled form is made of, apart from the settings of {@code tyk.conf}: its definition file, by path
 * and by the digest of its bytes, and the digest of every other file the definition names, which compiling it reads
 * (its {@code certificates}, each with the {@code .key} beside it, its {@code client_certificates} that are files,
 * and its {@code upstream_certificates}). Two reloads that find equal inputs for an API compile it to the same
 * thing, so the second keeps the compiled form of the first; that is how a reload compiles only what changed.
 *
 * @param digest the digest of the definition file's bytes; empty when unknown, and then nothing is kept
 * @param files each file named, resolved against the folder of {@code tyk.conf}, to its digest
 *     ({@link FileDigest#ABSENT} when it is not there)
 */
public record ApiInputs(Path file, boolean idFromFileName, String digest, Map<String, String> files) {

    public ApiInputs {
        files = Map.copyOf(files);
    }

    /** Reads the digests of the files {@code loaded} names, now. */
    public static ApiInputs of(LoadedApi loaded, Path confDir) {
        ApiDefinition api = loaded.definition();
        if (api.certificates().isEmpty() && api.upstreamCertificates().isEmpty()
                && api.clientCertificates().isEmpty()) {
            return new ApiInputs(loaded.file(), loaded.idFromFileName(), loaded.digest(), Map.of());
        }
        Map<String, String> files = new HashMap<>();
        if (!loaded.digest().isEmpty()) {
            pemFiles(api.certificates(), confDir, files);
            pemFiles(api.upstreamCertificates().values(), confDir, files);
            for (String entry : api.clientCertificates()) {
                // As ClientCertificates reads an entry: inline PEM, else a file, else a fingerprint.
                if (!entry.strip().startsWith("-----BEGIN")) {
                    digest(confDir, entry.strip(), files);
                }
            }
        }
        return new ApiInputs(loaded.file(), loaded.idFromFileName(), loaded.digest(), files);
    }

    /** Whether a form compiled from {@code previous} is what these inputs compile to: both known, and equal. */
    public boolean sameAs(ApiInputs previous) {
        // equals(previous), the digest first: it is what tells most definitions apart.
        return previous != null && !digest.isEmpty() && digest.equals(previous.digest)
                && idFromFileName == previous.idFromFileName && file.equals(previous.file)
                && files.equals(previous.files);
    }

    /**
     * Records the digests of certificate entries read as {@link PemKeyPair#fromPath} reads them: the file, and the
     * key beside it; for an API's and for {@code tyk.conf}'s {@code ssl_certificates} alike.
     */
    public static void pemFiles(Collection<String> entries, Path confDir, Map<String, String> files) {
        for (String entry : entries) {
            Path file = digest(confDir, entry, files);
            if (file != null && file.getFileName() != null) {
                Path key = PemKeyPair.keyBeside(file);
                files.put(key.toString(), FileDigest.of(key));
            }
        }
    }

    /** Records the digest of the file an entry names, and returns the file; {@code null} when the entry is no path. */
    public static Path digest(Path confDir, String entry, Map<String, String> files) {
        Path file;
        try {
            file = confDir.resolve(entry);
        } catch (InvalidPathException e) {
            return null; // no file, so nothing to watch: the entry's text is in the definition
        }
        files.put(file.toString(), FileDigest.of(file));
        return file;
    }
}
