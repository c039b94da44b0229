package dev.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gateway.http.ProxyFailure;
import org.junit.jupiter.api.Test;

class GrpcStatusTest {

    @Test
    void refusedTraceIsUnimplementedAsAMissingRouteIs() {
        assertEquals(GrpcStatus.UNIMPLEMENTED, GrpcStatus.of(ProxyFailure.TRACE_REFUSED));
        assertEquals(GrpcStatus.of(ProxyFailure.NO_ROUTE), GrpcStatus.of(ProxyFailure.TRACE_REFUSED));
    }

    @Test
    void basicAuthRefusalsAreUnauthenticatedAndABusyCheckUnavailable() {
        for (ProxyFailure failure : new ProxyFailure[] {ProxyFailure.USER_NOT_AUTHORISED,
                ProxyFailure.BASIC_AUTH_MALFORMED, ProxyFailure.BASIC_AUTH_NOT_ENCODED,
                ProxyFailure.BASIC_AUTH_NOT_A_PAIR}) {
            assertEquals(GrpcStatus.UNAUTHENTICATED, GrpcStatus.of(failure), failure.name());
        }
        assertEquals(GrpcStatus.UNAVAILABLE, GrpcStatus.of(ProxyFailure.PASSWORD_CHECKS_BUSY));
    }
}
