package dev.gateway.server;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigLoader;
import dev.gateway.core.config.LoadProblem;
import dev.gateway.core.config.LoadReport;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.snapshot.GatewaySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a reload reads from {@code app_path}, with the rule both kinds of reload share: a definition file that fails
 * to load keeps its API's last good version serving, with a warning saying so.
 */
final class DefinitionFiles {

    private DefinitionFiles() {
    }

    /**
     * The definition files a targeted reload was told changed, read again.
     *
     * @param changed the APIs of the files that load, as they are now
     * @param gone the files that no longer give an API (deleted, renamed away, or not active)
     * @param goneIds the ids served from {@code gone} or from the changed files that {@code changed} no longer
     *     serves
     * @param problems what reading the files found
     */
    record Changes(List<LoadedApi> changed, List<Path> gone, Set<String> goneIds, List<LoadProblem> problems) {

        List<ApiDefinition> definitions() {
            return changed.stream().map(LoadedApi::definition).toList();
        }
    }

    /**
     * Reads the definition files that changed, as a load of {@code app_path} would read each of them; a file that
     * now fails keeps the version {@code current} serves.
     */
    static Changes read(Collection<Path> files, Path confDir, GatewaySnapshot current) {
        List<LoadedApi> changed = new ArrayList<>();
        List<Path> gone = new ArrayList<>();
        List<LoadProblem> problems = new ArrayList<>();
        Set<String> before = new HashSet<>();
        for (Path file : files) {
            LoadedApi previous = current.apiOfFile(file);
            if (previous != null) {
                before.add(previous.definition().apiId());
            }
            if (!Files.isRegularFile(file)) {
                gone.add(file);
                continue;
            }
            List<LoadProblem> own = new ArrayList<>();
            Optional<LoadedApi> loaded = ConfigLoader.loadApi(file, confDir, own);
            problems.addAll(own);
            if (own.stream().anyMatch(LoadProblem::isError)) {
                if (previous != null) {
                    problems.add(keepsServing(previous));
                    before.remove(previous.definition().apiId());
                }
            } else if (loaded.isPresent()) {
                changed.add(loaded.get());
            } else {
                gone.add(file);
            }
        }
        changed.forEach(api -> before.remove(api.definition().apiId()));
        return new Changes(changed, gone, before, problems);
    }

    /** APIs whose file now fails to load are carried over from the snapshot in service. */
    static LoadReport keepLastGoodVersions(LoadReport report, GatewaySnapshot current) {
        Set<String> failedFiles = report.errors().stream().map(LoadProblem::file).collect(Collectors.toSet());
        Set<String> loadedIds = report.apis().stream().map(a -> a.definition().apiId()).collect(Collectors.toSet());
        List<LoadedApi> apis = new ArrayList<>(report.apis());
        List<LoadProblem> problems = new ArrayList<>(report.problems());
        for (LoadedApi previous : current.apis()) {
            if (failedFiles.contains(previous.fileName()) && !loadedIds.contains(previous.definition().apiId())) {
                apis.add(previous);
                problems.add(keepsServing(previous));
            }
        }
        return new LoadReport(report.config(), report.confFile(), report.appDir(), apis, problems);
    }

    private static LoadProblem keepsServing(LoadedApi previous) {
        return LoadProblem.warning(previous.fileName(), "", previous.definition().apiId(),
                "keeps serving its last good version");
    }
}
