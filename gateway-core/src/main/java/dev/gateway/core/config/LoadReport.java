package dev.gateway.core.config;

import java.nio.file.Path;
import java.util.List;

/**
 * What a load produced: the gateway settings, the API definitions that passed, and every problem met on the
 * way. APIs named in an {@link LoadProblem.Severity#ERROR} problem are not in {@link #apis()}.
 */
public record LoadReport(GatewayConfig config, Path confFile, Path appDir, List<LoadedApi> apis,
        List<LoadProblem> problems) {

    public LoadReport {
        apis = List.copyOf(apis);
        problems = List.copyOf(problems);
    }

    public List<LoadProblem> errors() {
        return problems.stream().filter(LoadProblem::isError).toList();
    }

    public List<LoadProblem> warnings() {
        return problems.stream().filter(p -> !p.isError()).toList();
    }
}
