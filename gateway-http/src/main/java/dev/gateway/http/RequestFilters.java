package dev.gateway.http;

import dev.gateway.core.config.ApiDefinition;
import java.util.List;
import java.util.function.Function;

/** Compiles an API's {@link RequestFilter}s, and its {@link ResponseFilter}s, at load, in the order they run. */
@FunctionalInterface
public interface RequestFilters {

    /** No API has filters. */
    RequestFilters NONE = api -> List.of();

    List<RequestFilter> of(ApiDefinition api);

    /** Both chains of each API, each from its own function. */
    static RequestFilters of(Function<ApiDefinition, List<RequestFilter>> requestFilters,
            Function<ApiDefinition, List<ResponseFilter>> responseFilters) {
        return new RequestFilters() {
            @Override
            public List<RequestFilter> of(ApiDefinition api) {
                return requestFilters.apply(api);
            }

            @Override
            public List<ResponseFilter> responseFilters(ApiDefinition api) {
                return responseFilters.apply(api);
            }
        };
    }

    /** The API's response filters; none unless a module supplies them. */
    default List<ResponseFilter> responseFilters(ApiDefinition api) {
        return List.of();
    }
}
