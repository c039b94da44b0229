package dev.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gateway.core.keys.KeyHashing;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;

class BasicPasswordsTest {

    @Test
    void newPasswordsAreBcryptUnlessAFastHashIsConfigured() {
        assertEquals("bcrypt", BasicPasswords.algorithm(""));
        assertEquals("bcrypt", BasicPasswords.algorithm("md5"));
        assertEquals("bcrypt", BasicPasswords.algorithm("bcrypt"));
        assertEquals("sha256", BasicPasswords.algorithm("sha256"));
        assertEquals("murmur64", BasicPasswords.algorithm("murmur64"));
    }

    @Test
    void bcryptHashesAreGosFormAtCostTenWithAFreshSalt() {
        String hash = BasicPasswords.hash("secret", "bcrypt");
        assertTrue(hash.startsWith("$2a$10$"), hash);
        assertEquals(60, hash.length());
        assertTrue(OpenBSDBCrypt.checkPassword(hash, "secret".toCharArray()));
        assertFalse(OpenBSDBCrypt.checkPassword(hash, "Secret".toCharArray()));
        assertNotEquals(hash, BasicPasswords.hash("secret", "bcrypt"));
    }

    @Test
    void fastHashesAreTyksHexHashes() {
        assertEquals(KeyHashing.hash("pw", "sha256"), BasicPasswords.hash("pw", "sha256"));
        assertEquals(KeyHashing.hash("pw", "murmur32"), BasicPasswords.hash("pw", "murmur32"));
    }

    @Test
    void aPasswordBcryptCannotTakeWholeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> BasicPasswords.hash("x".repeat(73), "bcrypt"));
    }
}
