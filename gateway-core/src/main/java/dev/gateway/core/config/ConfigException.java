package dev.gateway.core.config;

/** {@code tyk.conf} cannot be used; the gateway does not start. The message names the file and the field. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final LoadProblem problem;

    public ConfigException(LoadProblem problem) {
        super(problem.toString());
        this.problem = problem;
    }

    public LoadProblem problem() {
        return problem;
    }
}
