/*
 * test_web_guard.c - who may talk to klab serve: the Host rule for loopback,
 * network and wildcard binds (port included, case, look-alikes), the
 * same-origin check from Origin or Referer, the session token (random per
 * start, exact), and the urlencoded form parser the token comes in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "web/form.h"
#include "web/guard.h"

static void test_host_loopback(void **state)
{
	struct web_guard g;
	struct kl_err err;

	(void)state;
	assert_int_equal(web_guard_init(&g, "127.0.0.1", 8080, &err), 0);
	assert_true(g.loopback);
	assert_true(web_guard_host_ok(&g, "127.0.0.1:8080"));
	assert_true(web_guard_host_ok(&g, "localhost:8080"));
	assert_true(web_guard_host_ok(&g, "LocalHost:8080"));
	assert_true(web_guard_host_ok(&g, "[::1]:8080"));
	const char *bad[] = { "127.0.0.1", "127.0.0.1:8081", "127.0.0.1:80800", "evil.example:8080",
			      "localhost.evil.example:8080", "127.0.0.1:8080.evil.example",
			      "0.0.0.0:8080", "[::1]", "", " 127.0.0.1:8080", "127.0.0.2:8080" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(web_guard_host_ok(&g, bad[i]));
	assert_false(web_guard_host_ok(&g, NULL));
	web_guard_release(&g);
	/* another loopback address: itself too */
	assert_int_equal(web_guard_init(&g, "127.0.0.2", 9000, &err), 0);
	assert_true(g.loopback);
	assert_true(web_guard_host_ok(&g, "127.0.0.2:9000"));
	assert_true(web_guard_host_ok(&g, "localhost:9000"));
	web_guard_release(&g);
	/* port 80: browsers leave it out of Host */
	assert_int_equal(web_guard_init(&g, "127.0.0.1", 80, &err), 0);
	assert_true(web_guard_host_ok(&g, "127.0.0.1"));
	assert_true(web_guard_host_ok(&g, "localhost:80"));
	assert_true(web_guard_host_ok(&g, "[::1]"));
	assert_false(web_guard_host_ok(&g, "evil.example"));
	assert_true(web_guard_origin_ok(&g, "http://localhost", NULL));
	web_guard_release(&g);
	assert_int_equal(web_guard_init(&g, "::1", 9000, &err), 0);
	assert_true(g.loopback);
	assert_true(web_guard_host_ok(&g, "[::1]:9000"));
	assert_false(web_guard_host_ok(&g, "::1:9000"));
	web_guard_release(&g);
}

static void test_host_network(void **state)
{
	struct web_guard g;
	struct kl_err err;

	(void)state;
	assert_int_equal(web_guard_init(&g, "192.168.1.5", 8080, &err), 0);
	assert_false(g.loopback);
	assert_true(web_guard_host_ok(&g, "192.168.1.5:8080"));
	assert_false(web_guard_host_ok(&g, "127.0.0.1:8080"));
	assert_false(web_guard_host_ok(&g, "evil.example:8080"));
	web_guard_release(&g);
	/* a wildcard bind: the loopback names and this machine's addresses, never 0.0.0.0 */
	assert_int_equal(web_guard_init(&g, "0.0.0.0", 8080, &err), 0);
	assert_false(g.loopback);
	assert_true(web_guard_host_ok(&g, "127.0.0.1:8080"));
	assert_true(web_guard_host_ok(&g, "localhost:8080"));
	assert_false(web_guard_host_ok(&g, "0.0.0.0:8080"));
	assert_false(web_guard_host_ok(&g, "evil.example:8080"));
	web_guard_release(&g);
	assert_int_equal(web_guard_init(&g, "not-an-address", 8080, &err), -1);
}

static void test_origin_and_token(void **state)
{
	struct web_guard g, g2;
	struct kl_err err;

	(void)state;
	assert_int_equal(web_guard_init(&g, "127.0.0.1", 8080, &err), 0);
	assert_true(web_guard_origin_ok(&g, "http://127.0.0.1:8080", NULL));
	assert_true(web_guard_origin_ok(&g, "http://localhost:8080", "http://evil.example/"));
	assert_false(web_guard_origin_ok(&g, "null", "http://127.0.0.1:8080/my/x/edit"));
	assert_false(web_guard_origin_ok(&g, "https://127.0.0.1:8080", NULL));
	assert_false(web_guard_origin_ok(&g, "http://127.0.0.1:8080/", NULL));
	assert_false(web_guard_origin_ok(&g, "http://evil.example", NULL));
	assert_true(web_guard_origin_ok(&g, NULL, "http://127.0.0.1:8080/my/x/edit"));
	assert_false(web_guard_origin_ok(&g, NULL, "http://127.0.0.1:8080"));
	assert_false(web_guard_origin_ok(&g, NULL, "http://evil.example/127.0.0.1:8080/"));
	assert_false(web_guard_origin_ok(&g, NULL, "http://127.0.0.1:8080.evil.example/"));
	assert_false(web_guard_origin_ok(&g, NULL, NULL));

	assert_int_equal(strlen(g.token), 64);
	assert_true(web_guard_token_ok(&g, g.token));
	char t[65];
	snprintf(t, sizeof(t), "%s", g.token);
	t[63] = t[63] == '0' ? '1' : '0';
	assert_false(web_guard_token_ok(&g, t));
	t[63] = '\0';
	assert_false(web_guard_token_ok(&g, t));
	assert_false(web_guard_token_ok(&g, ""));
	assert_false(web_guard_token_ok(&g, NULL));
	/* each start makes its own */
	assert_int_equal(web_guard_init(&g2, "127.0.0.1", 8080, &err), 0);
	assert_string_not_equal(g.token, g2.token);
	assert_false(web_guard_token_ok(&g2, g.token));
	web_guard_release(&g);
	web_guard_release(&g2);
}

static void test_form(void **state)
{
	struct web_form f;
	const char body[] = "token=ab%20cd&text=a+b%0D%0Ac%25&empty=&flag&text=second&nul=x%00y"
			    "&bad=%zz%4";

	(void)state;
	web_form_parse(body, strlen(body), &f);
	assert_string_equal(web_form_get(&f, "token"), "ab cd");
	assert_string_equal(web_form_get(&f, "text"), "a b\r\nc%"); /* the first of two */
	assert_string_equal(web_form_get(&f, "empty"), "");
	assert_string_equal(web_form_get(&f, "flag"), "");
	assert_string_equal(web_form_get(&f, "nul"), "xy");
	assert_string_equal(web_form_get(&f, "bad"), "%zz%4");
	assert_null(web_form_get(&f, "missing"));
	web_form_release(&f);
	/* not NUL-terminated where it ends, and more fields than kept */
	char many[400] = "";
	for (int i = 0; i < 40; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "f%d=%d&", i, i);
	web_form_parse(many, 7, &f); /* "f0=0&f1" */
	assert_string_equal(web_form_get(&f, "f0"), "0");
	assert_string_equal(web_form_get(&f, "f1"), "");
	web_form_release(&f);
	web_form_parse(many, strlen(many), &f);
	assert_int_equal(f.n, WEB_FORM_MAX);
	assert_null(web_form_get(&f, "f39"));
	web_form_release(&f);
	web_form_parse("", 0, &f);
	assert_int_equal(f.n, 0);
	web_form_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_loopback),
		cmocka_unit_test(test_host_network),
		cmocka_unit_test(test_origin_and_token),
		cmocka_unit_test(test_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
