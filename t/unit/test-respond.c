/*
 * Unit tests of the respond-wait exchange (lib/respond.c): what the
 * step's side writes, the responder's side reads back; one table of
 * reserved headers refuses them on both sides; a waiting responder gets
 * the first answer and the runs, and leaves nothing behind in
 * respond_dir; nobody waiting, or a marker a dead responder left, is
 * told apart from an answer delivered.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "respond.h"
#include "tap.h"
#include "util.h"

static const char *const reserved[] = {
	"Status", "Content-Length", "Connection", "Keep-Alive",
	"Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade"
};
#define NRESERVED	(sizeof(reserved) / sizeof(reserved[0]))

/* Files in dir, dot files included (. and .. not). */
static int
dir_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_format(void)
{
	struct buf		 head = BUF_INIT, body = BUF_INIT, a = BUF_INIT;
	struct respond_answer	 ans;
	char			*why = NULL, h[64];
	size_t			 i;
	int			 ctype = 0, r;

	ok(respond_header_add(&head, "X-Answer:  yes ", &ctype, &why) == 0,
	    "a header is taken");
	ok(ctype == 0, "... and is not a Content-Type");
	ok(respond_header_add(&head, "content-type: application/json",
	    &ctype, &why) == 0 && ctype == 1, "Content-Type is noticed");
	buf_addstr(&body, "{\"ok\":true}\n\nafter a blank line");
	respond_answer_format(&a, 201, &head, ctype, &body);
	r = respond_answer_parse(&a, &ans);
	ok(r == 0, "the answer written is read back");
	ok(ans.status == 201, "with its status");
	is_str(ans.ctype, "application/json", "with its Content-Type");
	is_str(ans.headers.data, "X-Answer: yes\r\n",
	    "with its other header, trimmed, as a CRLF line");
	ok(ans.body_len == body.len && memcmp(ans.body, body.data,
	    body.len) == 0, "with its body byte for byte");
	respond_answer_release(&ans);

	/* Without a Content-Type, a body is text. */
	buf_reset(&head);
	buf_reset(&a);
	ctype = 0;
	respond_answer_format(&a, 200, &head, ctype, &body);
	ok(respond_answer_parse(&a, &ans) == 0 && ans.ctype != NULL &&
	    strncmp(ans.ctype, "text/plain", 10) == 0,
	    "a body without a Content-Type is text/plain");
	respond_answer_release(&ans);

	for (i = 0; i < NRESERVED; i++) {
		/* The writer refuses it, in any case... */
		snprintf(h, sizeof(h), "%s: 1", reserved[i]);
		h[0] ^= 0x20;
		ok(respond_header_add(&head, h, &ctype, &why) == -1 &&
		    why != NULL && strstr(why, reserved[i]) != NULL,
		    "the writer refuses %s", h);
		free(why);
		why = NULL;
		/* ... and an answer holding it is malformed to the reader. */
		buf_reset(&a);
		buf_printf(&a, "Status: 200\n%s: 1\n\nbody", reserved[i]);
		ok(respond_answer_parse(&a, &ans) == -1,
		    "the reader refuses an answer with %s", reserved[i]);
		respond_answer_release(&ans);
	}

	ok(respond_header_add(&head, "Bad Name: x", &ctype, &why) == -1,
	    "a name that is not a token is refused");
	free(why);
	why = NULL;
	ok(respond_header_add(&head, "X-A: a\rInjected: 1", &ctype, &why) ==
	    -1, "a value with a CR is refused");
	free(why);
	why = NULL;

	buf_reset(&a);
	buf_addstr(&a, "X-First: 1\nStatus: 200\n\n");
	ok(respond_answer_parse(&a, &ans) == -1,
	    "an answer that does not start with its status is malformed");
	respond_answer_release(&ans);
	buf_reset(&a);
	buf_addstr(&a, "Status: 200\nX-A: a\001b\n\n");
	ok(respond_answer_parse(&a, &ans) == -1,
	    "a control character in a value is malformed");
	respond_answer_release(&ans);
	buf_reset(&a);
	buf_addstr(&a, "Status: 200\nX-A: 1");
	ok(respond_answer_parse(&a, &ans) == -1,
	    "a header line without its newline is malformed");
	respond_answer_release(&ans);

	buf_release(&head);
	buf_release(&body);
	buf_release(&a);
}

/*
 * respond_deliver() returns want, and its reason (when it gives one)
 * holds say.
 */
static void
deliver_is(const char *dir, const char *id, const struct buf *answer,
    enum respond_delivery want, const char *say, const char *name)
{
	enum respond_delivery	 got;
	char			*why = NULL;

	got = respond_deliver(dir, id, answer, &why);
	ok(got == want && (say == NULL || (why != NULL &&
	    strstr(why, say) != NULL)), "%s", name);
	if (got != want || (say != NULL && why != NULL &&
	    strstr(why, say) == NULL))
		printf("# got %d: %s\n", (int)got, why != NULL ? why : "");
	free(why);
}

static void
test_exchange(const char *dir)
{
	struct respond_wait	 w;
	struct buf		 a = BUF_INIT, b = BUF_INIT, got = BUF_INIT;
	struct buf		 runs = BUF_INIT, empty = BUF_INIT;
	const char		*what;
	char			 path[512];
	long long		 ids[] = { 7, 8 }, t;
	int			 fd;

	respond_answer_format(&a, 202, &empty, 0, &empty);
	respond_answer_format(&b, 500, &empty, 0, &empty);

	deliver_is(dir, "ev1", &a, RESPOND_IGNORED, "nobody is waiting",
	    "without a waiting responder the answer is ignored");

	ok(respond_wait_begin(&w, dir, "ev1", NULL, NULL, &what) == 0,
	    "a responder gets ready to wait");
	respond_note(dir, "ev1", ids, 2, 0);
	deliver_is(dir, "ev1", &a, RESPOND_DELIVERED, NULL,
	    "a step's answer is delivered to it");
	deliver_is(dir, "ev1", &b, RESPOND_IGNORED, "already has",
	    "a second answer is ignored: the first wins");
	t = monotonic_ms();
	ok(respond_wait_end(&w, 5000, &got, &runs) == 1,
	    "the responder takes the answer");
	ok(monotonic_ms() - t < 2000, "at once, not at the end of its wait");
	ok(got.len == a.len && memcmp(got.data, a.data, a.len) == 0,
	    "the first answer, byte for byte");
	is_str(runs.data, "[7,8]", "and the runs the worker noted");
	ok(dir_entries(dir) == 0, "nothing is left in respond_dir");
	deliver_is(dir, "ev1", &b, RESPOND_IGNORED, "nobody is waiting",
	    "once it stopped waiting, an answer is ignored");
	ok(dir_entries(dir) == 0, "and leaves nothing behind");

	/* Every run ended without an answer: the wait ends early. */
	ok(respond_wait_begin(&w, dir, "ev2", NULL, NULL, &what) == 0,
	    "a responder waits for another event");
	respond_note(dir, "ev2", ids, 1, 1);
	t = monotonic_ms();
	ok(respond_wait_end(&w, 5000, &got, &runs) == 0,
	    "no answer when its runs all ended without one");
	ok(monotonic_ms() - t < 2000, "and it stops waiting then");
	is_str(runs.data, "[7]", "its runs are known");
	ok(dir_entries(dir) == 0, "nothing is left in respond_dir");

	/* A marker nobody locks: its responder died. */
	snprintf(path, sizeof(path), "%s/ev3" RESPOND_WAIT_SUFFIX, dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	close(fd);
	deliver_is(dir, "ev3", &a, RESPOND_IGNORED, "nobody is waiting",
	    "a dead responder's marker: the answer is ignored");
	ok(dir_entries(dir) == 0, "and the marker is removed");

	/* The event was not spooled: the wait is cancelled. */
	ok(respond_wait_begin(&w, dir, "ev4", NULL, NULL, &what) == 0,
	    "a responder gets ready for an event it then fails to spool");
	respond_wait_cancel(&w);
	ok(dir_entries(dir) == 0, "cancelling leaves nothing behind");

	buf_release(&a);
	buf_release(&b);
	buf_release(&got);
	buf_release(&runs);
}

int
main(void)
{
	char	dir[] = "/tmp/test-respond.XXXXXX";

	test_format();
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", dir);
		return tap_done();
	}
	test_exchange(dir);
	rmdir(dir);
	return tap_done();
}
