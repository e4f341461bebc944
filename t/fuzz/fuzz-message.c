/*
 * The spool message parser: message_parse() over any bytes. A message
 * that parses is written back with message_add_header() and must parse
 * again to the same headers (control bytes in values become spaces, as
 * message_add_header() promises) and the same body.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "message.h"

/*
 * Is b what a reads as once written by message_add_header() and parsed
 * again: control bytes turned into spaces, leading blanks dropped?
 */
static int
same_value(const char *a, const char *b)
{
	unsigned char	c;
	int		lead = 1;

	for (; *a != '\0'; a++) {
		c = (unsigned char)*a;
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (lead && c == ' ')
			continue;
		lead = 0;
		if ((unsigned char)*b++ != c)
			return 0;
	}
	return *b == '\0';
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message	 m, m2;
	struct buf	 b = BUF_INIT;
	const char	*why = NULL, *v;
	size_t		 i;

	if (message_parse(&m, (const char *)data, size, &why) == -1) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (m.body + m.body_len != (const unsigned char *)m.raw + m.raw_len ||
	    m.nheaders > MESSAGE_MAX_HEADERS)
		abort();
	for (i = 0; i < m.nheaders; i++) {
		/* The first of a name is the one message_get() finds. */
		if ((v = message_get(&m, m.headers[i].name)) == NULL)
			abort();
		message_add_header(&b, m.headers[i].name, m.headers[i].value);
	}
	buf_addch(&b, '\n');
	buf_add(&b, m.body, m.body_len);
	if (message_parse(&m2, b.data, b.len, &why) == -1) {
		/* "X:v" is one byte shorter than "X: v", as written. */
		if (strcmp(why, "header line too long") != 0)
			abort();
		message_release(&m);
		buf_release(&b);
		return 0;
	}
	if (m2.nheaders != m.nheaders || m2.body_len != m.body_len ||
	    (m.body_len > 0 && memcmp(m2.body, m.body, m.body_len) != 0))
		abort();
	for (i = 0; i < m2.nheaders; i++)
		if (strcmp(m2.headers[i].name, m.headers[i].name) != 0 ||
		    !same_value(m.headers[i].value, m2.headers[i].value))
			abort();
	message_release(&m2);
	message_release(&m);
	buf_release(&b);
	return 0;
}
