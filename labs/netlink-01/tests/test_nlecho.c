/*
 * test_nlecho.c - guest tests of lab netlink-01. /init loaded nlecho.ko; this
 * program speaks generic netlink over raw NETLINK_GENERIC sockets (no libnl):
 * it resolves the family "klab_echo" through the controller, sends ECHO
 * requests and parses the replies' attributes.
 */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "klab_test.h"

#define FAMILY "klab_echo"
#define KLECHO_CMD_ECHO 1
#define KLECHO_A_MSG 1
#define KLECHO_A_COUNT 2

#define BUFSZ 8192

struct reply {
	int error;		/* 0, or the negative errno of an NLMSG_ERROR */
	int type;		/* nlmsg_type of the reply */
	unsigned int seq;	/* nlmsg_seq */
	int cmd;		/* genlmsghdr.cmd */
	char msg[1024];		/* KLECHO_A_MSG */
	int has_msg;
	long count;		/* KLECHO_A_COUNT, -1 when absent */
	unsigned short family_id;	/* CTRL_ATTR_FAMILY_ID */
	unsigned int version;	/* CTRL_ATTR_VERSION */
};

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	struct timeval tv = { .tv_sec = 2 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* Appends an attribute to the message in buf; returns the new length. */
static size_t put_attr(char *buf, size_t len, int type, const void *data, size_t dlen)
{
	struct nlattr *a = (struct nlattr *)(buf + len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + dlen;
	memcpy(buf + len + NLA_HDRLEN, data, dlen);
	return len + NLA_ALIGN(a->nla_len);
}

/* Sends a generic netlink request; msg NULL leaves out the string attribute. */
static int send_req(int fd, int family, int cmd, int attr, const char *msg, unsigned int seq)
{
	char buf[BUFSZ]; /* on the stack: threads send at once */
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	size_t len = NLMSG_LENGTH(GENL_HDRLEN);

	memset(buf, 0, sizeof(buf));
	nh->nlmsg_type = family;
	nh->nlmsg_flags = NLM_F_REQUEST;
	nh->nlmsg_seq = seq;
	gh->cmd = cmd;
	gh->version = 1;
	if (msg)
		len = put_attr(buf, len, attr, msg, strlen(msg) + 1);
	nh->nlmsg_len = len;
	return sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -errno : 0;
}

/* Receives one message and parses it; -errno when nothing came. */
static int recv_reply(int fd, struct reply *r)
{
	char buf[BUFSZ];

	memset(r, 0, sizeof(*r));
	r->count = -1;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (size_t)n))
		return -EBADMSG;
	r->type = nh->nlmsg_type;
	r->seq = nh->nlmsg_seq;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);
		r->error = e->error;
		return 0;
	}
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	r->cmd = gh->cmd;
	int alen = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a = (struct nlattr *)((char *)gh + GENL_HDRLEN);
	while (alen >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= alen) {
		void *d = (char *)a + NLA_HDRLEN;
		int dl = a->nla_len - NLA_HDRLEN;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (nh->nlmsg_type == GENL_ID_CTRL) {
			if (type == CTRL_ATTR_FAMILY_ID && dl >= 2)
				memcpy(&r->family_id, d, 2);
			if (type == CTRL_ATTR_VERSION && dl >= 4)
				memcpy(&r->version, d, 4);
		} else {
			if (type == KLECHO_A_MSG) {
				int l = dl < (int)sizeof(r->msg) - 1 ? dl : (int)sizeof(r->msg) - 1;
				memcpy(r->msg, d, l);
				r->msg[l] = '\0';
				r->has_msg = 1;
			}
			if (type == KLECHO_A_COUNT && dl == 4) {
				unsigned int c;
				memcpy(&c, d, 4);
				r->count = c;
			}
		}
		alen -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return 0;
}

/* The family id of FAMILY, or -errno (ENOENT when it is not registered). */
static int resolve(int fd, unsigned int *version)
{
	struct reply r;
	int rc = send_req(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, FAMILY, 1);

	if (rc < 0)
		return rc;
	rc = recv_reply(fd, &r);
	if (rc < 0)
		return rc;
	if (r.type == NLMSG_ERROR)
		return r.error ? r.error : -EBADMSG;
	if (version)
		*version = r.version;
	return r.family_id ? r.family_id : -EBADMSG;
}

/* One ECHO round trip: sends msg (or no attribute), receives the answer. */
static int echo(int fd, int family, const char *msg, unsigned int seq, struct reply *r)
{
	int rc = send_req(fd, family, KLECHO_CMD_ECHO, KLECHO_A_MSG, msg, seq);

	if (rc < 0)
		return rc;
	return recv_reply(fd, r);
}

static const char *what(int rc, const struct reply *r)
{
	static char buf[2][1200];
	static int k;
	char *b = buf[k++ % 2];

	if (rc < 0)
		snprintf(b, 1200, "no reply (%s)", strerror(-rc));
	else if (r->type == NLMSG_ERROR)
		snprintf(b, 1200, "an error reply: %s", r->error ? strerror(-r->error) : "ack (0)");
	else if (!r->has_msg)
		snprintf(b, 1200, "a reply (cmd %d) without a message attribute, count %ld",
			 r->cmd, r->count);
	else if (strlen(r->msg) > 60)
		snprintf(b, 1200, "a %zu-byte message (cmd %d, count %ld)", strlen(r->msg), r->cmd,
			 r->count);
	else
		snprintf(b, 1200, "\"%s\" (cmd %d, count %ld)", r->msg, r->cmd, r->count);
	return b;
}

/* ---- echo_no_memory: every allocation of an echo round trip failing in turn ---- */

struct nomem {
	int fd, fam;
	unsigned int seq;
	int sent;		/* sendto's result */
	int got;		/* recv's result */
	struct reply r;
};

/* Receives the answer with sequence number seq, skipping stale ones; -errno when none came. */
static int recv_seq(int fd, unsigned int seq, struct reply *r)
{
	for (int i = 0; i < 8; i++) {
		int rc = recv_reply(fd, r);
		if (rc < 0 || r->seq == seq)
			return rc;
	}
	return -EBADMSG;
}

static int nomem_call(void *arg)
{
	struct nomem *a = arg;
	char m[32];

	a->seq++;
	snprintf(m, sizeof(m), "no memory %u", a->seq);
	a->got = -ENOMSG;
	a->sent = send_req(a->fd, a->fam, KLECHO_CMD_ECHO, KLECHO_A_MSG, m, a->seq);
	if (a->sent == 0)
		a->got = recv_seq(a->fd, a->seq, &a->r);
	return a->sent < 0 ? a->sent : a->got;
}

/* After an echo with its nth fallible call failing: the echo, or a clean error. */
static int nomem_check(void *arg, int rc, int n, int fired, char *why, size_t len)
{
	struct nomem *a = arg;
	char m[32];

	snprintf(m, sizeof(m), "no memory %u", a->seq);
	if (rc == 0 && a->r.type == a->fam && a->r.has_msg && strcmp(a->r.msg, m) == 0 &&
	    a->r.count > 0)
		return 0; /* answered despite the failure (it hit something that can fail softly) */
	if (!fired) {
		snprintf(why, len, "an echo with no failure injected got %s", what(rc, &a->r));
		return -1;
	}
	if (a->sent == -ENOMEM || a->sent == -ENOBUFS || a->sent == -EFAULT)
		return 0; /* the request itself could not be sent */
	if (rc == -ENOBUFS || rc == -EFAULT)
		return 0; /* no memory for the error message, or the copy to us failed */
	if (rc == 0 && a->r.type == NLMSG_ERROR && (a->r.error == -ENOMEM || a->r.error == -ENOBUFS))
		return 0;
	snprintf(why, len, "an echo with fallible call %d failing (an allocation): expected "
		 "the echo or an error reply ENOMEM, got %s", n, what(rc, &a->r));
	return -1;
}

static void test_no_memory(int fd, int fam)
{
	struct nomem a = { .fd = fd, .fam = fam, .seq = 5000 };
	struct reply r;
	char why[1400];

	int n = kt_fail_walk(nomem_call, nomem_check, &a, 300, why, sizeof(why));
	if (n == -ENOSYS) {
		kt_skip("echo_no_memory", why);
		return;
	}
	long before = a.r.count;
	int rc = n > 0 ? echo(fd, fam, "after no memory", 6000, &r) : -1;
	int ok = n > 0 && rc == 0 && r.has_msg && strcmp(r.msg, "after no memory") == 0 &&
		 r.count > before;
	if (n > 0 && !ok)
		snprintf(why, sizeof(why), "after %d echoes with an allocation failing, a plain "
			 "echo got %s (expected the string and a count above %ld)", n,
			 what(rc, &r), before);
	kt_check("echo_no_memory", ok, "%s", why);
}

/* ---- sockets_at_once: threads and processes echoing on their own sockets at once ---- */

struct shared {
	long replies;
};

struct hammer_arg {
	int fam;
};

static int hammer_worker(struct kt_hammer *h, int id)
{
	struct shared *sh = h->shared;
	struct hammer_arg *ha = h->arg;
	struct reply r;
	int fd = nl_open();

	if (fd < 0)
		return fd;
	for (unsigned int i = 0; !kt_hammer_over(h); i++) {
		char m[48];
		unsigned int seq = (unsigned int)id << 24 | i;

		snprintf(m, sizeof(m), "worker %d echo %u", id, i);
		int rc = echo(fd, ha->fam, m, seq, &r);
		if (rc < 0 || r.type != ha->fam || !r.has_msg || strcmp(r.msg, m) != 0 ||
		    r.seq != seq) {
			close(fd);
			return kt_hammer_fail(h, -EIO, "worker %d sent \"%s\" (seq %u), got %.150s "
					      "with seq %u", id, m, seq, what(rc, &r), r.seq);
		}
		__atomic_fetch_add(&sh->replies, 1, __ATOMIC_SEQ_CST);
	}
	close(fd);
	return 0;
}

static void test_at_once(int fd, int fam)
{
	struct hammer_arg ha = { .fam = fam };
	struct kt_hammer h = { .fn = hammer_worker, .arg = &ha };
	struct reply r;

	int rc0 = echo(fd, fam, "before", 7000, &r);
	long before = rc0 == 0 ? r.count : -1;
	int rc = kt_hammer_run(&h, 4, 2, 1000);
	struct shared *sh = h.shared;
	long replies = sh->replies;
	int rc1 = echo(fd, fam, "after", 7001, &r);
	long after = rc1 == 0 ? r.count : -1;
	kt_check("sockets_at_once", rc == 0 && replies > 0 && before > 0 &&
		 after == before + replies + 1,
		 "4 threads and 2 processes echoing on their own sockets for 1 s: %s; the count "
		 "went from %ld to %ld over %ld replies (expected %ld)",
		 kt_hammer_why(&h)[0] ? kt_hammer_why(&h)
		 : rc ? "a worker failed or got stuck" : "every reply right",
		 before, after, replies, before + replies + 1);
	kt_hammer_release(&h);
}

int main(void)
{
	struct reply r;
	unsigned int version = 0;
	int rc;

	kt_plan(11);
	int fd = nl_open();
	if (fd < 0) {
		printf("# cannot open a NETLINK_GENERIC socket: %s\n", strerror(-fd));
		return 1;
	}

	int fam = resolve(fd, &version);
	kt_check("family_registered", fam > 0 && version == 1,
		 "CTRL_CMD_GETFAMILY \"%s\": expected a family id and version 1, got %s%s, "
		 "version %u", FAMILY, fam > 0 ? "id " : "", fam > 0 ? "ok" : strerror(-fam),
		 version);
	if (fam < 0)
		fam = 0xffff; /* every request below fails and says why */

	rc = echo(fd, fam, "hello, netlink", 4242, &r);
	kt_check("echo_reply",
		 rc == 0 && r.type == fam && r.cmd == KLECHO_CMD_ECHO && r.has_msg &&
			 strcmp(r.msg, "hello, netlink") == 0,
		 "ECHO \"hello, netlink\": expected a reply of the family (type %d) with cmd %d and "
		 "the same string, got type %d, %s", fam, KLECHO_CMD_ECHO, r.type, what(rc, &r));
	kt_check("reply_seq", rc == 0 && r.type == fam && r.seq == 4242,
		 "expected an echo reply with the request's nlmsg_seq 4242, got %s with seq %u",
		 r.type == fam ? "a reply" : what(rc, &r), r.seq);
	kt_check("count_first", rc == 0 && r.count == 1,
		 "the first echo since the module was loaded: expected KLECHO_A_COUNT 1, got %ld",
		 r.count);

	long prev = r.count;
	int bad = 0;
	long want_bad = 0;
	char got_bad[1200] = "";
	for (int i = 0; i < 10; i++) {
		char m[32];
		snprintf(m, sizeof(m), "message %d", i);
		rc = echo(fd, fam, m, 100 + i, &r);
		if (!bad && (rc < 0 || prev < 0 || r.count != prev + 1 || strcmp(r.msg, m) != 0)) {
			bad = 1;
			want_bad = prev + 1;
			snprintf(got_bad, sizeof(got_bad), "%s", what(rc, &r));
		}
		prev = r.count;
	}
	kt_check("count_increments", !bad,
		 "10 more echoes: expected the count to go up by one each time, expected \"message "
		 "N\" with count %ld, got %s", want_bad, got_bad);

	long before = prev;
	rc = echo(fd, fam, NULL, 7, &r);
	int err_ok = rc == 0 && r.type == NLMSG_ERROR && r.error == -EINVAL;
	char err_what[1200];
	snprintf(err_what, sizeof(err_what), "%s", what(rc, &r));
	rc = echo(fd, fam, "after the error", 8, &r);
	kt_check("missing_msg_einval", err_ok && rc == 0 && r.count == before + 1,
		 "ECHO without KLECHO_A_MSG: expected an error reply EINVAL that does not count, "
		 "got %s; the next echo's count: expected %ld, got %ld", err_what, before + 1,
		 r.count);

	char longest[257];
	memset(longest, 'a', 256);
	longest[255] = '\0';
	rc = echo(fd, fam, longest, 9, &r);
	int ok255 = rc == 0 && r.has_msg && strcmp(r.msg, longest) == 0;
	char what255[1200];
	snprintf(what255, sizeof(what255), "%s", what(rc, &r));
	longest[255] = 'a';
	longest[256] = '\0';
	rc = echo(fd, fam, longest, 10, &r);
	int bad256 = rc == 0 && r.type == NLMSG_ERROR && r.error == -EINVAL;
	kt_check("max_length", ok255 && bad256,
		 "expected a 255-byte message echoed and a 256-byte one refused with EINVAL, "
		 "got %s and %s", what255, what(rc, &r));

	/* two sockets, two requests: each reply goes to the socket that asked */
	int fd2 = nl_open();
	struct reply r1, r2;
	int s1 = send_req(fd, fam, KLECHO_CMD_ECHO, KLECHO_A_MSG, "from socket one", 11);
	int s2 = send_req(fd2, fam, KLECHO_CMD_ECHO, KLECHO_A_MSG, "from socket two", 12);
	int g2 = s2 < 0 ? s2 : recv_reply(fd2, &r2);
	int g1 = s1 < 0 ? s1 : recv_reply(fd, &r1);
	kt_check("two_sockets",
		 g1 == 0 && g2 == 0 && strcmp(r1.msg, "from socket one") == 0 &&
			 strcmp(r2.msg, "from socket two") == 0,
		 "two sockets sent an echo each: expected each to get its own string, got %s on "
		 "the first and %s on the second", what(g1, &r1), what(g2, &r2));
	if (fd2 >= 0)
		close(fd2);

	test_no_memory(fd, fam);
	test_at_once(fd, fam);

	rc = kt_rmmod("nlecho");
	int gone = resolve(fd, NULL);
	kt_check("family_unregistered", rc == 0 && gone == -ENOENT,
		 "after rmmod nlecho (%s): expected CTRL_CMD_GETFAMILY to fail with %s, got %s",
		 rc ? strerror(-rc) : "ok", strerror(ENOENT),
		 gone > 0 ? "a family id" : strerror(-gone));
	close(fd);
	return kt_done();
}
