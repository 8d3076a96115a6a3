/*
 * test_term.c - text for a terminal: guest output with escape sequences made
 * harmless, hints' Markdown rendered (headings, code spans kept whole when
 * wrapping, lists, code blocks), and "did you mean" suggestions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/suggest.h"
#include "core/term.h"

static void test_clean(void **state)
{
	char *c;

	(void)state;
	/* a colour change, a title change (OSC), a bell, a C1 CSI: none reach the terminal */
	c = kl_term_clean("ok \033[31mred\033[0m \033]0;pwned\007 \xc2\x9b" "2J\ttab");
	assert_string_equal(c, "ok ^[[31mred^[[0m ^[]0;pwned^G ?2J\ttab");
	free(c);
	c = kl_term_clean("caf\xc3\xa9 \x7f");
	assert_string_equal(c, "caf\xc3\xa9 ^?"); /* UTF-8 kept, DEL shown */
	free(c);
	assert_null(kl_term_clean(NULL));
}

static void test_markdown(void **state)
{
	const char *md = "## Hint 1\n\nUse `pr_info()` and *friends*; see "
			 "[the docs](https://docs.kernel.org/).\n\n"
			 "- one\n- two\n\n```c\nint x = 1;\n```\n\n"
			 "A long line with a code span that must stay whole: "
			 "`#define pr_fmt(fmt) KBUILD_MODNAME \": \" fmt` at the end.\n";
	struct kl_buf out = KL_BUF_INIT;

	(void)state;
	kl_term_markdown(&out, md, strlen(md), 60, 0);
	const char *t = kl_buf_str(&out);
	assert_non_null(strstr(t, "Hint 1\n------\n"));
	assert_null(strstr(t, "##"));
	assert_non_null(strstr(t, "`pr_info()`"));
	assert_non_null(strstr(t, "friends;")); /* emphasis: no stars without colour */
	assert_non_null(strstr(t, "the docs")); /* a link: its text, then its address */
	assert_non_null(strstr(t, "<https://docs.kernel.org/>"));
	assert_non_null(strstr(t, "- one\n- two\n"));
	assert_non_null(strstr(t, "    int x = 1;\n"));
	assert_non_null(strstr(t, "`#define pr_fmt(fmt) KBUILD_MODNAME \": \" fmt`"));
	for (const char *l = t; *l;) {
		size_t n = strcspn(l, "\n");
		if (!memchr(l, '`', n))
			assert_true(n <= 60);
		l += n + (l[n] == '\n');
	}
	assert_null(strchr(t, '\033'));
	kl_buf_reset(&out);
	kl_term_markdown(&out, md, strlen(md), 60, 1);
	assert_non_null(strstr(kl_buf_str(&out), "\033[1mHint 1\033[0m"));
	assert_non_null(strstr(kl_buf_str(&out), "\033[36mpr_info()\033[0m"));
	kl_buf_release(&out);
}

static void test_suggest(void **state)
{
	const char *cmds[] = { "run", "list", "watch", "hint", "log", "reset", "doctor", "serve",
			       "search", "check", "help" };
	const char *labs[] = { "signals-01", "modules-01", "processes-01", "processes-02" };
	size_t nc = sizeof(cmds) / sizeof(cmds[0]);

	(void)state;
	assert_int_equal(kl_suggest_distance("lsit", "list"), 1); /* a swap is one edit */
	assert_string_equal(kl_suggest("rn", cmds, nc), "run");
	assert_string_equal(kl_suggest("lsit", cmds, nc), "list");
	assert_string_equal(kl_suggest("serach", cmds, nc), "search");
	assert_string_equal(kl_suggest("doc", cmds, nc), "doctor"); /* a unique prefix */
	assert_null(kl_suggest("frobnicate", cmds, nc));
	assert_string_equal(kl_suggest("signal-01", labs, 4), "signals-01");
	assert_string_equal(kl_suggest("modules01", labs, 4), "modules-01");
	assert_null(kl_suggest("kvm-01", labs, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_suggest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
