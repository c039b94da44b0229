package dev.gateway.plugins.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.gateway.http.FilteredRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Tyk's variables in header values and rewrite targets. */
class TemplateTest {

    private static FilteredRequest request() {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/x?name=a%2Fb&n=1");
        head.headers().set("X-User-Id", "u/1 2").set("Cookie", "session=abc; theme=dark");
        return new FilteredRequest(head, null, new InetSocketAddress("10.1.2.3", 5000), "c1", "/api/x",
                "name=a%2Fb&n=1");
    }

    @Test
    void constantsRenderAsWritten() {
        Template plain = Template.compile("no variables $ here", false, false);
        assertEquals("no variables $ here", plain.constant());
        assertEquals("$1 stays text in a header", Template.compile("$1 stays text in a header", false, false)
                .render(request(), null, Map.of()));
    }

    @Test
    void contextVariablesReadTheRequest() {
        Template header = Template.compile("$tyk_context.headers_X_User_Id|$tyk_context.request_data_name|"
                + "$tyk_context.cookies_theme|$tyk_context.path|$tyk_context.remote_addr|$tyk_context.nope|"
                + "$tyk_meta.plan", false, false);
        assertNull(header.constant());
        assertEquals("u/1 2|a/b|dark|/api/x|10.1.2.3||", header.render(request(), null, Map.of()));
    }

    @Test
    void rewriteTargetsEscapeRequestValuesAndFillGroups() {
        Matcher m = Pattern.compile("/api/(x)").matcher("/api/x");
        m.find();
        Template target = Template.compile("/users/$tyk_context.headers_X_User_Id/$1?t=$tyk_context.trigger-0-X-0",
                true, true);
        assertEquals("/users/u%2F1+2/x?t=cap", target.render(request(), m, Map.of("trigger-0-X-0", "cap")));
    }

    @Test
    void secretsComeFromTheEnvironmentAtLoad() {
        String home = System.getenv("TYK_SECRET_PATH");
        assertEquals(home == null ? "v=" : "v=" + home, Template.compile("v=$secret_env.path", false, false)
                .constant());
    }
}
