/*
 * The spool message writer and parser, and the spool protocol.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "message.h"
#include "spool.h"
#include "util.h"
#include "tap.h"

static void
test_writer_parser(void)
{
	static const unsigned char body[] = "{\"a\":1}\n\0binary\r\n";
	struct buf	b = BUF_INIT, name = BUF_INIT;
	struct message	m;
	const char	*why = NULL;

	message_add_header(&b, "Hookdir-Id", "1.M2P3R4.host");
	message_add_header(&b, "X-Evil", "a\r\nInjected: yes");
	message_add_header(&b, "Empty", "");
	buf_addch(&b, '\n');
	buf_add(&b, body, sizeof(body) - 1);

	ok(message_parse(&m, b.data, b.len, &why) == 0, "parse what was written");
	is_int(m.nheaders, 3, "three headers, the injected line folded into one");
	is_str(message_get(&m, "hookdir-id"), "1.M2P3R4.host",
	    "lookup is case-insensitive");
	is_str(message_get(&m, "X-Evil"), "a  Injected: yes",
	    "CR and LF in a value become spaces");
	is_str(message_get(&m, "Empty"), "", "empty value");
	ok(message_get(&m, "Injected") == NULL, "no header was injected");
	is_int(m.body_len, sizeof(body) - 1, "body length includes NUL bytes");
	ok(memcmp(m.body, body, sizeof(body) - 1) == 0, "body is byte-exact");
	message_release(&m);

	ok(message_parse(&m, "A: b\n", 5, &why) == -1 && why != NULL,
	    "no blank line is an error (%s)", why ? why : "");
	ok(message_parse(&m, "no colon\n\nbody", 15, &why) == -1,
	    "a header line without a colon is an error");
	ok(message_parse(&m, ": v\n\n", 5, &why) == -1,
	    "a header without a name is an error");
	ok(message_parse(&m, "\n", 1, &why) == 0 && m.nheaders == 0 &&
	    m.body_len == 0, "no headers and an empty body is a message");
	message_release(&m);
	ok(message_parse(&m, "A: 1\r\n\nxy", 9, &why) == 0 &&
	    strcmp(message_get(&m, "A"), "1") == 0 && m.body_len == 2,
	    "a CRLF header line is read too");
	message_release(&m);

	message_header_from_cgi(&name, "HTTP_X_GITHUB_EVENT");
	is_str(name.data, "X-Github-Event", "CGI name canonicalised");
	buf_reset(&name);
	message_header_from_cgi(&name, "HTTP_X_HUB_SIGNATURE_256");
	is_str(name.data, "X-Hub-Signature-256", "digits kept");
	buf_release(&name);
	buf_release(&b);
}

static void
test_spool(void)
{
	char		 tmpl[] = "/tmp/hookdir-spool-XXXXXX", id[SPOOL_ID_MAX],
			 id2[SPOOL_ID_MAX], path[4096], **ids;
	struct spool	 sp;
	struct iovec	 iov[2];
	struct message	 m;
	struct stat	 st;
	const char	*why;
	long		 n;
	int		 fd, fd2;

	if (mkdtemp(tmpl) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/spool", tmpl);
	ok(spool_open(&sp, path, 1) == 0, "spool created");
	spool_new_id(id);
	spool_new_id(id2);
	ok(strcmp(id, id2) != 0, "ids are unique (%s)", id);
	ok(spool_id_is_valid(id), "an id is a valid path component");
	iov[0].iov_base = "Hookdir-Id: x\n\n";
	iov[0].iov_len = 15;
	iov[1].iov_base = "body\0with nul";
	iov[1].iov_len = 13;
	ok(spool_deliver(&sp, id, iov, 2) == 0, "delivered");
	ok(spool_deliver(&sp, id, iov, 2) == -1, "an id is never reused");
	is_int(spool_count(&sp, "new"), 1, "one file in new/");
	is_int(spool_count(&sp, "tmp"), 0, "nothing left in tmp/");
	spool_path(&sp, "new", id, path, sizeof(path));
	/* stat() first: ok()'s arguments are evaluated in no set order. */
	if (stat(path, &st) == -1)
		st.st_mode = 0777;
	ok((st.st_mode & 077) == 0, "spool file is private (mode %o)",
	    (unsigned)(st.st_mode & 0777));
	ok(message_read_file(&m, path, &why) == 0 && m.body_len == 13 &&
	    memcmp(m.body, "body\0with nul", 13) == 0, "file reads back");
	message_release(&m);
	ok(spool_deliver(&sp, "../escape", iov, 2) == -1 && errno == EINVAL,
	    "an id that is a path is refused");
	is_int(spool_depth(&sp, 0), 1, "depth counts new/");

	n = spool_list(&sp, "new", &ids);
	ok(n == 1 && strcmp(ids[0], id) == 0, "list new/");
	spool_list_free(ids, n);

	fd = spool_claim(&sp, id);
	ok(fd >= 0, "claimed");
	ok(spool_claim(&sp, id) == -1 && errno == ENOENT,
	    "a second claim loses");
	ok(spool_recover(&sp, id) == -1,
	    "a live claim cannot be recovered");
	ok(spool_retire(&sp, id, fd, "done") == 0, "retired to done/");
	is_int(spool_count(&sp, "done"), 1, "one file in done/");

	/* A claimer that died: its lock is gone, recovery takes the file. */
	ok(spool_deliver(&sp, id2, iov, 2) == 0, "second delivery");
	fd = spool_claim(&sp, id2);
	close(fd);
	fd2 = spool_recover(&sp, id2);
	ok(fd2 >= 0, "a dead claim is recovered");
	ok(spool_retire(&sp, id2, fd2, "failed") == 0, "retired to failed/");
	spool_close(&sp);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	if (system(path) != 0)
		diag("cleanup of %s failed", tmpl);
}

/*
 * The envelope: what envelope_write() appends, message_parse() and
 * envelope_read() give back, field for field, in the fixed order.
 */
static void
test_envelope(void)
{
	static const char want[] =
	    "Hookdir-Id: 1.M2P3R4.host\n"
	    "Hookdir-Received: 2026-01-02T03:04:05.000006Z\n"
	    "Hookdir-Source: gh\n"
	    "Hookdir-Provider: github\n"
	    "Hookdir-Event: push  Injected: yes\n"
	    "Hookdir-Delivery: d-1\n"
	    "Hookdir-Verified: hmac-sha256\n"
	    "Hookdir-Remote-Addr: 192.0.2.1\n"
	    "Hookdir-Method: POST\n"
	    "Hookdir-Uri: /hooks/gh?a=1\n"
	    "Hookdir-Chain-Depth: 3\n"
	    "Hookdir-Parent-Run: 42\n"
	    "Hookdir-Parent-Event: 0.M1P1R1.host\n"
	    "Content-Type: application/json\n"
	    "Content-Length: 2\n";
	struct envelope	env, got;
	struct buf	b = BUF_INIT;
	struct message	m;
	const char	*why = NULL;

	memset(&env, 0, sizeof(env));
	env.id = "1.M2P3R4.host";
	env.received = "2026-01-02T03:04:05.000006Z";
	env.source = "gh";
	env.provider = "github";
	env.event = "push\r\nInjected: yes";
	env.delivery = "d-1";
	env.verified = "hmac-sha256";
	env.remote_addr = "192.0.2.1";
	env.method = "POST";
	env.uri = "/hooks/gh?a=1";
	env.chain_depth = 3;
	env.parent_run = "42";
	env.parent_event = "0.M1P1R1.host";
	env.content_type = "application/json";
	env.content_length = 2;
	envelope_write(&env, &b);
	ok(b.len == sizeof(want) - 1 && memcmp(b.data, want, b.len) == 0,
	    "envelope lines in the fixed order, controls made spaces");
	buf_add(&b, "\n{}", 3);
	ok(message_parse(&m, b.data, b.len, &why) == 0, "envelope parses");
	envelope_read(&got, &m);
	is_str(got.id, env.id, "id round-trips");
	is_str(got.received, env.received, "received round-trips");
	is_str(got.source, env.source, "source round-trips");
	is_str(got.provider, env.provider, "provider round-trips");
	is_str(got.event, "push  Injected: yes",
	    "event round-trips, CR LF as spaces");
	is_str(got.delivery, env.delivery, "delivery round-trips");
	is_str(got.verified, env.verified, "verified round-trips");
	is_str(got.remote_addr, env.remote_addr, "remote addr round-trips");
	is_str(got.method, env.method, "method round-trips");
	is_str(got.uri, env.uri, "uri round-trips");
	is_int(got.chain_depth, 3, "chain depth round-trips");
	is_str(got.parent_run, env.parent_run, "parent run round-trips");
	is_str(got.parent_event, env.parent_event, "parent event round-trips");
	is_str(got.content_type, env.content_type, "content type round-trips");
	is_int(got.content_length, 2, "content length round-trips");
	message_release(&m);

	/* Nothing to say: the line is left out, and reads back as "". */
	buf_reset(&b);
	memset(&env, 0, sizeof(env));
	env.id = "1.x";
	env.event = "";
	env.chain_depth = -1;
	envelope_write(&env, &b);
	is_str(b.data, "Hookdir-Id: 1.x\nContent-Length: 0\n",
	    "empty and absent fields are left out");
	buf_addch(&b, '\n');
	ok(message_parse(&m, b.data, b.len, &why) == 0,
	    "short envelope parses");
	envelope_read(&got, &m);
	ok(*got.event == '\0' && *got.parent_run == '\0' &&
	    got.chain_depth == -1 && got.content_length == 0,
	    "absent fields read back empty, no chain depth");
	message_release(&m);

	/* Names in any case; of two lines with one name, the first. */
	buf_reset(&b);
	buf_addstr(&b, "X-Other: 1\nhookdir-source: first\n"
	    "HOOKDIR-EVENT: push\nHookdir-Source: second\n"
	    "Hookdir-Sourcex: third\ncontent-length: 2\n\nab");
	ok(message_parse(&m, b.data, b.len, &why) == 0,
	    "mixed-case envelope parses");
	envelope_read(&got, &m);
	is_str(got.source, "first", "the first of two lines is read");
	is_str(got.event, "push", "a name in capitals is read");
	is_int(got.content_length, 2, "a name in lower case is read");
	message_release(&m);
	buf_release(&b);

	ok(envelope_reserved("hookdir-event") &&
	    envelope_reserved("Content-Length") &&
	    !envelope_reserved("Content-Type") &&
	    !envelope_reserved("X-Hookdir"), "reserved header names");
}

int
main(void)
{
	test_writer_parser();
	test_envelope();
	test_spool();
	return tap_done();
}
