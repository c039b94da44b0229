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
}
