/*
 * The spool message: "Name: value" header lines, a blank line, then the
 * raw body, byte for byte. Readable with less, grep or a mail reader.
 */
#ifndef HOOKDIR_MESSAGE_H
#define HOOKDIR_MESSAGE_H

#include <stddef.h>

#include "buf.h"

#define MESSAGE_MAX_HEADERS	256
#define MESSAGE_MAX_HEADER_LEN	(64 * 1024)

struct msg_header {
	char	*name;
	char	*value;
};

struct message {
	struct msg_header	*headers;
	size_t			 nheaders;
	char			*raw;		/* the whole message, owned */
	size_t			 raw_len;
	const unsigned char	*body;		/* into raw */
	size_t			 body_len;
};

/*
 * Append "Name: value\n"; a CR or LF (or other control byte) inside the
 * value becomes a space so that one header is always one line.
 */
void	message_add_header(struct buf *, const char *name, const char *value);

/*
 * Parse a message from memory (copied). 0 on success; -1 and a static
 * reason in *why when it is not a message (no blank line, a header line
 * without a colon, too many or too long headers).
 */
int	message_parse(struct message *, const char *data, size_t len,
	    const char **why);
/*
 * Would message_parse() take a message that starts with this header
 * block (header lines, then the blank line that ends them, nothing
 * more)? The reader's own rules, so that what a writer checks with it is
 * what the reader accepts. 0, or -1 with a static reason in *why.
 */
int	message_check_head(const char *head, size_t len, const char **why);
/* Read and parse a file: 0, or -1 with *why (errno-based text if I/O). */
int	message_read_file(struct message *, const char *path, const char **why);
/*
 * The same from fd, read from where it stands to its end, when it is not
 * -1 (the file is path); path otherwise.
 */
int	message_read_fd(struct message *, int fd, const char *path,
	    const char **why);
void	message_release(struct message *);

/* First header of that name, case-insensitive; NULL if none. */
const char *message_get(const struct message *, const char *name);

/*
 * The envelope: what hookdir itself says about a message, the
 * Hookdir-* lines (and Content-Type, Content-Length) that open every
 * spool file, whoever wrote it (the responder, inject, an internal
 * event). The writer appends them in one fixed order; a string that is
 * NULL or empty is left out, as is a negative chain depth.
 */
#define ENVELOPE_PREFIX		"Hookdir-"

struct envelope {
	const char	*id;		/* Hookdir-Id */
	const char	*received;	/* Hookdir-Received, RFC 3339 */
	const char	*source;	/* Hookdir-Source */
	const char	*provider;	/* Hookdir-Provider */
	const char	*event;		/* Hookdir-Event */
	const char	*delivery;	/* Hookdir-Delivery */
	const char	*verified;	/* Hookdir-Verified: how */
	const char	*remote_addr;	/* Hookdir-Remote-Addr */
	const char	*method;	/* Hookdir-Method */
	const char	*uri;		/* Hookdir-Uri */
	int		 chain_depth;	/* Hookdir-Chain-Depth or -1 */
	const char	*parent_run;	/* Hookdir-Parent-Run */
	const char	*parent_event;	/* Hookdir-Parent-Event */
	const char	*content_type;	/* Content-Type */
	size_t		 content_length; /* Content-Length, always */
};

/* Append the envelope's lines (no blank line: headers may follow). */
void	envelope_write(const struct envelope *, struct buf *);
/*
 * Fill the envelope from a parsed message: strings point into it ("" when
 * the header is absent); chain_depth is -1 when absent or not a number,
 * content_length the body's length when Content-Length is not a number.
 */
void	envelope_read(struct envelope *, const struct message *);
/* A Hookdir-Chain-Depth value: -1 when NULL, empty or not a small number. */
int	envelope_chain_depth(const char *);
/*
 * Is this header name the envelope's (Hookdir-*, Content-Length), so
 * that nothing but the envelope writer may set it?
 */
int	envelope_reserved(const char *name);

/* "HTTP_X_GITHUB_EVENT" -> "X-Github-Event" into buf. */
void	message_header_from_cgi(struct buf *, const char *cgi_name);

#endif
