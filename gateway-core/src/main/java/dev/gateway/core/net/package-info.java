/** Connection facts that every protocol module shares, such as the real client address. */
package dev.gateway.core.net;
