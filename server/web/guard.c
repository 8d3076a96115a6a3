/*
 * guard.c - the Host rule, same-origin check and session token (see guard.h).
 */
#include "web/guard.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/fsutil.h"

/* Accepts host h (taken over), once. */
static void S_accept(struct web_guard *g, char *h)
{
	for (char *p = h; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < g->nhosts; i++) {
		if (strcmp(g->hosts[i], h) == 0) {
			free(h);
			return;
		}
	}
	if (g->nhosts == WEB_GUARD_MAX_HOSTS) {
		free(h);
		return;
	}
	g->hosts[g->nhosts++] = h;
}

/* name with the port; on port 80 also without (browsers leave the default port out). */
static void S_add(struct web_guard *g, const char *name, bool v6)
{
	S_accept(g, v6 ? kl_sprintf("[%s]:%d", name, g->port) : kl_sprintf("%s:%d", name, g->port));
	if (g->port == 80)
		S_accept(g, v6 ? kl_sprintf("[%s]", name) : kl_strdup(name));
}

/* A wildcard bind answers on every interface: their addresses and the host name. */
static void S_add_interfaces(struct web_guard *g)
{
	struct ifaddrs *ifa = NULL;
	char name[256];

	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			char ip[INET6_ADDRSTRLEN];
			if (!i->ifa_addr)
				continue;
			if (i->ifa_addr->sa_family == AF_INET &&
			    inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip,
				      sizeof(ip)))
				S_add(g, ip, false);
			else if (i->ifa_addr->sa_family == AF_INET6 &&
				 !IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr) &&
				 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, ip,
					   sizeof(ip)))
				S_add(g, ip, true);
		}
		freeifaddrs(ifa);
	}
	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		S_add(g, name, false);
	}
}

int web_guard_init(struct web_guard *g, const char *bind, int port, struct kl_err *err)
{
	unsigned char raw[32];
	struct in_addr a4;
	struct in6_addr a6;
	bool v4 = inet_pton(AF_INET, bind, &a4) == 1;
	bool v6 = !v4 && inet_pton(AF_INET6, bind, &a6) == 1;

	memset(g, 0, sizeof(*g));
	g->port = port;
	if (!v4 && !v6)
		return kl_err_set(err, "`%s` is not an IP address", bind);
	for (size_t got = 0; got < sizeof(raw);) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0)
			return kl_err_errno(err, "cannot read random bytes for the session token");
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(g->token + 2 * i, 3, "%02x", raw[i]);
	g->loopback = (v4 && (ntohl(a4.s_addr) >> 24) == 127) ||
		      (v6 && IN6_IS_ADDR_LOOPBACK(&a6));
	bool wildcard = (v4 && a4.s_addr == htonl(INADDR_ANY)) ||
			(v6 && IN6_IS_ADDR_UNSPECIFIED(&a6));
	if (g->loopback || wildcard) {
		S_add(g, "127.0.0.1", false);
		S_add(g, "localhost", false);
		S_add(g, "::1", true);
	}
	if (wildcard)
		S_add_interfaces(g);
	else
		S_add(g, bind, v6);
	return 0;
}

void web_guard_release(struct web_guard *g)
{
	for (size_t i = 0; i < g->nhosts; i++)
		free(g->hosts[i]);
	memset(g, 0, sizeof(*g));
}

bool web_guard_host_ok(const struct web_guard *g, const char *host)
{
	if (!host)
		return false;
	for (size_t i = 0; i < g->nhosts; i++)
		if (strcasecmp(g->hosts[i], host) == 0)
			return true;
	return false;
}

bool web_guard_origin_ok(const struct web_guard *g, const char *origin, const char *referer)
{
	const char *scheme = "http://";
	size_t sl = strlen(scheme);

	if (origin) {
		return strncasecmp(origin, scheme, sl) == 0 && web_guard_host_ok(g, origin + sl);
	}
	if (!referer || strncasecmp(referer, scheme, sl) != 0)
		return false;
	const char *host = referer + sl, *slash = strchr(host, '/');
	if (!slash || (size_t)(slash - host) >= 300)
		return false;
	char buf[300];
	memcpy(buf, host, (size_t)(slash - host));
	buf[slash - host] = '\0';
	return web_guard_host_ok(g, buf);
}

bool web_guard_token_ok(const struct web_guard *g, const char *token)
{
	size_t n = strlen(g->token);
	unsigned char diff = 0;

	if (!token || strlen(token) != n || n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(token[i] ^ g->token[i]);
	return diff == 0;
}
