package dev.gateway.http;

import dev.gateway.core.config.ApiDefinition;
import java.util.List;

/** Compiles an API's {@link RequestFilter}s, and its {@link ResponseFilter}s, at load, in the order they run. */
@FunctionalInterface
public interface RequestFilters {

    /** No API has filters. */
    RequestFilters NONE = api -> List.of();

    List<RequestFilter> of(ApiDefinition api);

    /** The API's response filters; none unless a module supplies them. */
    default List<ResponseFilter> responseFilters(ApiDefinition api) {
        return List.of();
    }
}
