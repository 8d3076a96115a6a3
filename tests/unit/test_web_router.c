/*
 * test_web_router.c - the web server's routing and path checks: every route
 * of the table matches what it should, nothing else does, and no path can name
 * a file outside static/. Also the page templates' substitution and escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "web/handlers.h"
#include "web/router.h"
#include "web/tpl.h"

static const struct web_route *S_match(const char *path, struct web_request *rq)
{
	return web_route_match(web_routes, web_nroutes, path, rq);
}

static void test_routes(void **state)
{
	struct web_request rq;
	const struct web_route *r;

	(void)state;
	r = S_match("/", &rq);
	assert_non_null(r);
	assert_ptr_equal(r->fn, web_page_home);
	r = S_match("/notes/signals", &rq);
	assert_ptr_equal(r->fn, web_page_note);
	assert_int_equal(rq.nparams, 1);
	assert_string_equal(rq.params[0], "signals");
	r = S_match("/notes/signals/history", &rq);
	assert_ptr_equal(r->fn, web_page_history);
	r = S_match("/notes/signals/history/0123abc", &rq);
	assert_ptr_equal(r->fn, web_page_commit);
	assert_string_equal(rq.params[0], "signals");
	assert_string_equal(rq.params[1], "0123abc");
	assert_ptr_equal(S_match("/labs/modules-01", &rq)->fn, web_page_lab);
	assert_ptr_equal(S_match("/labs/modules-01/diff", &rq)->fn, web_page_lab_diff);
	assert_ptr_equal(S_match("/search", &rq)->fn, web_page_search);
	assert_ptr_equal(S_match("/api/topics", &rq)->fn, web_api_topics);
	assert_ptr_equal(S_match("/api/notes/x", &rq)->fn, web_api_note);
	assert_ptr_equal(S_match("/api/search", &rq)->fn, web_api_search);
	assert_ptr_equal(S_match("/api/whatever/else", &rq)->fn, web_api_not_found);
	r = S_match("/static/css/klab.css", &rq);
	assert_ptr_equal(r->fn, web_static_file);
	assert_string_equal(rq.params[0], "css/klab.css");
	r = S_match("/static/diagrams/list-head.svg", &rq);
	assert_ptr_equal(r->fn, web_static_diagram);
	assert_string_equal(rq.params[0], "list-head.svg");
	/* no route */
	const char *none[] = { "", "/notes", "/notes/", "/notes//history", "/labs/x/y/z",
			       "/static", "/static/", "/searchx", "/x", "//", "/../etc/passwd",
			       "/notes/a/history/b/c" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_null(S_match(none[i], &rq));
}

static void test_path_check(void **state)
{
	char long_path[WEB_MAX_PATH + 10];

	(void)state;
	assert_int_equal(web_path_check("/notes/x"), 0);
	assert_int_equal(web_path_check("notes/x"), 400);
	assert_int_equal(web_path_check(""), 400);
	assert_int_equal(web_path_check("/static/a\x01.css"), 404); /* a %00 after decoding */
	assert_int_equal(web_path_check("/a\nb"), 404);
	assert_int_equal(web_path_check("/a\\b"), 404);
	assert_int_equal(web_path_check("/source/kernel\\fork.c"), 404);
	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(web_path_check(long_path), 414);
}

static void test_static_names(void **state)
{
	(void)state;
	assert_true(web_static_name_ok("klab.css"));
	assert_true(web_static_name_ok("templates/page.html"));
	assert_true(web_static_name_ok("a-b_c.1.svg"));
	const char *bad[] = { "", "..", "../x", "a/../b", "a/..", "/etc/passwd", "a//b", "a/",
			      ".hidden", "a/.git/config", "a b", "a%2fb", "a\\b", "a:b", "~root",
			      "x/./y" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(web_static_name_ok(bad[i]));
}

static void test_templates(void **state)
{
	char tmpl[] = "/tmp/klab-test-tpl-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct web_tpls *t = NULL;
	struct kl_err err;
	struct kl_buf out = KL_BUF_INIT;

	(void)state;
	assert_non_null(dir);
	char *page = kl_path_join(dir, "page.html");
	const char *text = "<title>{{title}}</title>{{body}}{{missing}}\n"
			   "{{define row}}<li>{{x}}</li>{{end}}\n";
	assert_int_equal(kl_write_file(page, text, strlen(text), &err), 0);
	assert_int_equal(web_tpls_load(dir, &t, &err), 0);
	const struct web_var v[] = { WEB_TEXT("title", "<script>\"x\"</script>"),
				     WEB_HTML("body", "<p>ok</p>") };
	web_tpl_render(t, "page", v, 2, &out);
	assert_string_equal(kl_buf_str(&out),
			    "<title>&lt;script&gt;&quot;x&quot;&lt;/script&gt;</title><p>ok</p>\n");
	kl_buf_reset(&out);
	const struct web_var r[] = { WEB_TEXT("x", "a&b") };
	web_tpl_render(t, "page:row", r, 1, &out);
	assert_string_equal(kl_buf_str(&out), "<li>a&amp;b</li>");
	assert_true(web_tpl_has(t, "page:row"));
	assert_false(web_tpl_has(t, "page:nope"));
	web_tpls_free(t);
	kl_buf_release(&out);
	assert_int_equal(kl_rm_rf(dir, &err), 0);
	free(page);
	/* no page.html: a clear error */
	char tmpl2[] = "/tmp/klab-test-tpl-XXXXXX";
	char *empty = mkdtemp(tmpl2);
	assert_int_equal(web_tpls_load(empty, &t, &err), -1);
	assert_non_null(strstr(err.msg, "page.html"));
	assert_int_equal(kl_rm_rf(empty, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_path_check),
		cmocka_unit_test(test_static_names),
		cmocka_unit_test(test_templates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
