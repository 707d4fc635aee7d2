/*
 * smtp_session.c -- the SMTP protocol of one session: line framing with
 * the RFC 5321 length limits, the command table (verb, preconditions,
 * handler), DATA with dot-unstuffing and the size limit, storing accepted
 * messages, and the smtp.command / smtp.starttls / smtp.message events.
 *
 * Does not own: sockets, TLS, the loop (smtp_server.c).  Replies are
 * queued with smtp_reply(); the STARTTLS switch is asked for by setting
 * the session's tls state to SMTP_TLS_PENDING, which the server acts on
 * once the 220 is on the wire.
 */
#define _GNU_SOURCE /* strcasestr, memrchr */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "simulator/smtp/smtp_int.h"
#include "simulator/util/xmem.h"

/* Preconditions of a command (checked in this order). */
#define SMTP_F_NOARGS 0x01 /* no arguments allowed: 501 */
#define SMTP_F_ARGS 0x02   /* arguments required: 501 */
#define SMTP_F_HELO 0x04   /* after HELO/EHLO: 503 */
#define SMTP_F_MAIL 0x08   /* inside a transaction: 503 */
#define SMTP_F_RCPT 0x10   /* with at least one recipient: 503 */

static void smtp_store_open(struct smtp_sess *c);

struct smtp_cmd {
	const char *verb;
	unsigned flags;
	void (*fn)(struct smtp_sess *c, const char *args);
};

static const char *
smtp_host_name(const struct smtp_sess *c, char *buf, size_t len)
{
	const struct smtp_hostctx *h = smtp_sess_host(c);
	size_t n;

	snprintf(buf, len, "%s", h->scen->name);
	n = strlen(buf);
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	return buf;
}

void
smtp_sess_reset_tx(struct smtp_sess *c)
{
	size_t i;

	free(c->mail_from);
	c->mail_from = NULL;
	for (i = 0; i < c->n_rcpts; i++)
		free(c->rcpts[i]);
	free(c->rcpts);
	c->rcpts = NULL;
	c->n_rcpts = 0;
	if (c->data_fp != NULL) {
		(void)fclose(c->data_fp);
		c->data_fp = NULL;
	}
	if (c->data_tmp != NULL) {
		(void)unlink(c->data_tmp); /* not stored: no half message */
		free(c->data_tmp);
		c->data_tmp = NULL;
	}
	c->data_size = 0;
	c->data_long = c->data_nul = c->data_werr = false;
	c->in_data = false;
}

/* RFC 3207 4.2: forget everything the client said before TLS. */
void
smtp_sess_tls_reset(struct smtp_sess *c)
{
	smtp_sess_reset_tx(c);
	c->helo = c->esmtp = false;
	c->starttls_offered = false;
}

const char *
smtp_close_name(enum smtp_close_how how)
{
	switch (how) {
	case SMTP_CLOSE_QUIT:
		return "quit";
	case SMTP_CLOSE_EOF:
		return "client-eof";
	case SMTP_CLOSE_TIMEOUT:
		return "timeout";
	case SMTP_CLOSE_ERROR:
		return "error";
	case SMTP_CLOSE_ABORT:
		return "server-abort";
	}
	return "error";
}

/*
 * The TLS handshake of the session, as a fact: none started, one
 * completed, or one started (STARTTLS answered 220) that did not.
 */
const char *
smtp_handshake_name(const struct smtp_sess *c)
{
	if (c->tls_done)
		return "ok";
	if (c->tls_tried)
		return "failed";
	return "none";
}

/* ---- events ---- */

static void
smtp_ev_begin(struct evlog_ev *e, struct smtp_sess *c, const char *type)
{
	char hb[256];

	evlog_begin(e, c->srv->o.log, type);
	evlog_int(e, "session", (long long)c->id);
	evlog_str(e, "host", smtp_host_name(c, hb, sizeof(hb)));
	evlog_str(e, "client", c->peer);
}

static void
smtp_ev_command(struct smtp_sess *c, const char *verb, const char *args)
{
	struct evlog_ev e;
	char ab[SMTP_ARG_LOG + 1];

	if (c->srv->o.log == NULL)
		return;
	smtp_ev_begin(&e, c, "smtp.command");
	evlog_str(&e, "verb", verb);
	if (args != NULL) {
		snprintf(ab, sizeof(ab), "%s", args);
		evlog_str(&e, "args", ab);
		if (strlen(args) > SMTP_ARG_LOG)
			evlog_bool(&e, "args_truncated", true);
	}
	evlog_int(&e, "code", c->last_code);
	evlog_str(&e, "reply", c->last_reply);
	evlog_bool(&e, "tls", c->tls == SMTP_TLS_ON);
	/*
	 * Whether this reply advertised STARTTLS: a session killed before
	 * its smtp.close still shows what it was offered.
	 */
	if (strcmp(verb, "EHLO") == 0 || strcmp(verb, "HELO") == 0)
		evlog_bool(&e, "starttls_offered",
		    strcmp(verb, "EHLO") == 0 && c->last_code == 250 &&
			c->starttls_offered);
	evlog_end(&e);
}

/* ---- helpers ---- */

/*
 * Parse "<path>" (optionally after spaces) from *p; the path goes to out
 * (without brackets), *p moves past the '>'.  False on a syntax error.
 */
static bool
smtp_path(const char **p, char *out, size_t len)
{
	const char *s = *p, *e;
	size_t n;

	while (*s == ' ')
		s++;
	if (*s != '<')
		return false;
	s++;
	if ((e = strchr(s, '>')) == NULL)
		return false;
	n = (size_t)(e - s);
	if (n >= len || memchr(s, ' ', n) != NULL)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = e + 1;
	return true;
}

/* "FROM:" / "TO:" prefix, case-insensitive. */
static const char *
smtp_prefix(const char *args, const char *pfx)
{
	size_t n = strlen(pfx);

	if (strncasecmp(args, pfx, n) != 0)
		return NULL;
	return args + n;
}

/* ---- commands ---- */

static void
smtp_cmd_helo(struct smtp_sess *c, const char *args)
{
	char hb[256];

	smtp_sess_reset_tx(c);
	c->helo = true;
	c->esmtp = false;
	smtp_reply(c, "250 %s", smtp_host_name(c, hb, sizeof(hb)));
}

static void
smtp_cmd_ehlo(struct smtp_sess *c, const char *args)
{
	const struct smtp_hostctx *h = smtp_sess_host(c);
	char hb[256];

	smtp_sess_reset_tx(c);
	c->helo = c->esmtp = true;
	c->starttls_offered =
	    c->tls == SMTP_TLS_NONE && h->mode != SCEN_STARTTLS_OFF;
	if (c->starttls_offered)
		c->starttls_ever = true;
	smtp_reply(c, "250-%s", smtp_host_name(c, hb, sizeof(hb)));
	smtp_reply(c, "250-PIPELINING");
	smtp_reply(c, "250-SIZE %zu", c->srv->o.max_message);
	if (c->starttls_offered)
		smtp_reply(c, "250-STARTTLS");
	smtp_reply(c, "250-ENHANCEDSTATUSCODES");
	smtp_reply(c, "250 8BITMIME");
}

static void
smtp_cmd_mail(struct smtp_sess *c, const char *args)
{
	char path[SMTP_ADDR_MAX];
	const char *p;

	if (c->mail_from != NULL) {
		smtp_reply(c, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if ((p = smtp_prefix(args, "FROM:")) == NULL ||
	    !smtp_path(&p, path, sizeof(path))) {
		smtp_reply(c, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	/* Parameters (RFC 5321 4.1.2): SIZE and BODY are known. */
	while (*p != '\0') {
		const char *k, *e;
		size_t n;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		k = p;
		e = strchr(k, ' ');
		n = e != NULL ? (size_t)(e - k) : strlen(k);
		p = k + n;
		if (n > 5 && strncasecmp(k, "SIZE=", 5) == 0) {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(k + 5, &end, 10);
			if (end != k + n || errno != 0 ||
			    !isdigit((unsigned char)k[5])) {
				smtp_reply(c, "501 5.5.4 Bad SIZE parameter");
				return;
			}
			if (v > c->srv->o.max_message) {
				smtp_reply(c,
				    "552 5.3.4 Message size exceeds "
				    "fixed limit");
				return;
			}
		} else if ((n == 13 &&
			       strncasecmp(k, "BODY=8BITMIME", 13) == 0) ||
		    (n == 9 && strncasecmp(k, "BODY=7BIT", 9) == 0)) {
			/* Accepted as is. */
		} else {
			smtp_reply(c, "555 5.5.4 Unsupported parameter");
			return;
		}
	}
	c->mail_from = xstrdup(path);
	smtp_reply(c, "250 2.1.0 Ok");
}

static void
smtp_cmd_rcpt(struct smtp_sess *c, const char *args)
{
	char path[SMTP_ADDR_MAX];
	const char *p;

	if ((p = smtp_prefix(args, "TO:")) == NULL ||
	    !smtp_path(&p, path, sizeof(path)) || path[0] == '\0') {
		smtp_reply(c, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0') {
		smtp_reply(c, "555 5.5.4 Unsupported parameter");
		return;
	}
	if (c->n_rcpts >= SMTP_MAX_RCPT) {
		smtp_reply(c, "452 4.5.3 Error: too many recipients");
		return;
	}
	c->rcpts = xreallocarray(c->rcpts, c->n_rcpts + 1, sizeof(*c->rcpts));
	c->rcpts[c->n_rcpts++] = xstrdup(path);
	smtp_reply(c, "250 2.1.5 Ok");
}

static void
smtp_cmd_data(struct smtp_sess *c, const char *args)
{
	c->in_data = true;
	c->data_size = 0;
	c->data_ms = smtp_now_ms();
	smtp_store_open(c);
	smtp_reply(c, "354 End data with <CR><LF>.<CR><LF>");
}

static void
smtp_cmd_rset(struct smtp_sess *c, const char *args)
{
	smtp_sess_reset_tx(c);
	smtp_reply(c, "250 2.0.0 Ok");
}

static void
smtp_cmd_noop(struct smtp_sess *c, const char *args)
{
	smtp_reply(c, "250 2.0.0 Ok");
}

static void
smtp_cmd_vrfy(struct smtp_sess *c, const char *args)
{
	smtp_reply(c, "252 2.0.0 Cannot VRFY user, but will accept message");
}

static void
smtp_cmd_quit(struct smtp_sess *c, const char *args)
{
	smtp_reply(c, "221 2.0.0 Bye");
	c->closing = true;
	c->how = SMTP_CLOSE_QUIT;
}

static void
smtp_cmd_starttls(struct smtp_sess *c, const char *args)
{
	const struct smtp_hostctx *h = smtp_sess_host(c);
	const char *result;
	size_t discarded = 0;
	struct evlog_ev e;

	c->starttls_used = true;
	if (c->tls == SMTP_TLS_ON) {
		smtp_reply(c, "554 5.5.1 Error: TLS already active");
		return;
	}
	if (h->mode == SCEN_STARTTLS_OFF) {
		smtp_reply(c, "502 5.5.1 Error: command not implemented");
		result = "not-offered";
	} else if (h->mode == SCEN_STARTTLS_REJECT || h->ctx == NULL) {
		smtp_reply(c,
		    "454 4.7.0 TLS not available due to temporary "
		    "reason");
		result = "rejected";
	} else {
		smtp_reply(c, "220 2.0.0 Ready to start TLS");
		result = "ready";
		c->tls = SMTP_TLS_PENDING;
		/*
		 * Anything the client pipelined after STARTTLS came in
		 * plaintext and must not be taken as said inside TLS (CVE-
		 * 2011-0411, plaintext injection): discard it, as Postfix.
		 */
		discarded = c->in_len - c->in_off;
		c->in_off = c->in_len;
	}
	if (c->srv->o.log == NULL)
		return;
	smtp_ev_begin(&e, c, "smtp.starttls");
	evlog_bool(&e, "offered", c->starttls_offered);
	evlog_str(&e, "mode", scen_starttls_name(h->mode));
	evlog_str(&e, "fault",
	    h->mode != SCEN_STARTTLS_ON ? scen_starttls_name(h->mode) : NULL);
	evlog_str(&e, "result", result);
	evlog_int(&e, "code", c->last_code);
	evlog_int(&e, "discarded", (long long)discarded);
	evlog_end(&e);
}

static const struct smtp_cmd smtp_cmds[] = {
    {"HELO", SMTP_F_ARGS, smtp_cmd_helo},
    {"EHLO", SMTP_F_ARGS, smtp_cmd_ehlo},
    {"MAIL", SMTP_F_HELO | SMTP_F_ARGS, smtp_cmd_mail},
    {"RCPT", SMTP_F_HELO | SMTP_F_MAIL | SMTP_F_ARGS, smtp_cmd_rcpt},
    {"DATA", SMTP_F_NOARGS | SMTP_F_HELO | SMTP_F_MAIL | SMTP_F_RCPT,
	smtp_cmd_data},
    {"RSET", SMTP_F_NOARGS, smtp_cmd_rset},
    {"NOOP", 0, smtp_cmd_noop},
    {"VRFY", SMTP_F_ARGS, smtp_cmd_vrfy},
    {"QUIT", SMTP_F_NOARGS, smtp_cmd_quit},
    {"STARTTLS", SMTP_F_NOARGS, smtp_cmd_starttls},
};

static void
smtp_error(struct smtp_sess *c)
{
	if (++c->errors >= SMTP_MAX_ERRORS && !c->closing) {
		smtp_reply(c, "421 4.7.0 Error: too many errors");
		c->closing = true;
		c->how = SMTP_CLOSE_ABORT;
	}
}

static void
smtp_command(struct smtp_sess *c, char *line, size_t len)
{
	const struct smtp_cmd *cmd = NULL;
	char verb[16];
	char *args;
	size_t i, vl;

	if (memchr(line, '\0', len) != NULL) {
		smtp_reply(c, "500 5.5.2 Error: NUL character in command");
		smtp_ev_command(c, "", NULL);
		smtp_error(c);
		return;
	}
	line[len] = '\0';
	vl = strcspn(line, " ");
	args = line + vl;
	while (*args == ' ')
		args++;
	snprintf(verb, sizeof(verb), "%.*s", (int)vl, line);
	for (i = 0; verb[i] != '\0'; i++)
		verb[i] = (char)toupper((unsigned char)verb[i]);
	for (i = 0; i < sizeof(smtp_cmds) / sizeof(smtp_cmds[0]); i++)
		if (vl == strlen(smtp_cmds[i].verb) &&
		    strcmp(verb, smtp_cmds[i].verb) == 0)
			cmd = &smtp_cmds[i];
	if (cmd == NULL) {
		smtp_reply(c, "500 5.5.2 Error: command not recognized");
		smtp_ev_command(c, verb, *args != '\0' ? args : NULL);
		smtp_error(c);
		return;
	}
	if ((cmd->flags & SMTP_F_NOARGS) && *args != '\0')
		smtp_reply(c, "501 5.5.4 Syntax: %s", cmd->verb);
	else if ((cmd->flags & SMTP_F_ARGS) && *args == '\0')
		smtp_reply(
		    c, "501 5.5.4 Syntax: %s requires arguments", cmd->verb);
	else if ((cmd->flags & SMTP_F_HELO) && !c->helo)
		smtp_reply(c, "503 5.5.1 Error: send HELO/EHLO first");
	else if ((cmd->flags & SMTP_F_MAIL) && c->mail_from == NULL)
		smtp_reply(c, "503 5.5.1 Error: need MAIL command");
	else if ((cmd->flags & SMTP_F_RCPT) && c->n_rcpts == 0)
		smtp_reply(c, "503 5.5.1 Error: need RCPT command");
	else {
		cmd->fn(c, args);
		smtp_ev_command(c, cmd->verb, *args != '\0' ? args : NULL);
		return;
	}
	smtp_ev_command(c, cmd->verb, *args != '\0' ? args : NULL);
	smtp_error(c);
}

/* ---- DATA ---- */

/*
 * The message is written to its file as it arrives, never held in
 * memory: <maildir>/<time>.<pid>.<session>.<n>.eml.tmp gets the
 * X-Danelab-* envelope lines at DATA, then each text line (dot-unstuffed,
 * CRLF), and is renamed to its final name when the message is accepted
 * (removed otherwise: smtp_sess_reset_tx).  A write error is remembered
 * and answered 451 at the end.
 */
static void
smtp_store_open(struct smtp_sess *c)
{
	const char *dir = c->srv->o.maildir;
	char hb[256];
	FILE *fp;
	size_t i;

	if (dir == NULL)
		return;
	c->data_tmp = xasprintf("%s/%lld.%d.%llu.%u.eml.tmp", dir,
	    (long long)time(NULL), (int)getpid(), (unsigned long long)c->id,
	    ++c->srv->msg_seq);
	if ((fp = fopen(c->data_tmp, "wx")) == NULL) {
		free(c->data_tmp);
		c->data_tmp = NULL;
		c->data_werr = true;
		return;
	}
	c->data_fp = fp;
	fprintf(
	    fp, "X-Danelab-Host: %s\r\n", smtp_host_name(c, hb, sizeof(hb)));
	fprintf(fp, "X-Danelab-Client: %s\r\n", c->peer);
	fprintf(fp, "X-Danelab-Session: %llu\r\n", (unsigned long long)c->id);
	if (c->tls == SMTP_TLS_ON)
		fprintf(fp, "X-Danelab-TLS: %s %s\r\n", SSL_get_version(c->ssl),
		    SSL_get_cipher_name(c->ssl));
	else
		fprintf(fp, "X-Danelab-TLS: none\r\n");
	fprintf(fp, "X-Danelab-Mail-From: <%s>\r\n", c->mail_from);
	for (i = 0; i < c->n_rcpts; i++)
		fprintf(fp, "X-Danelab-Rcpt-To: <%s>\r\n", c->rcpts[i]);
	if (ferror(fp))
		c->data_werr = true;
}

/* One text line of the message, CRLF added. */
static void
smtp_store_line(struct smtp_sess *c, const char *line, size_t len)
{
	if (c->data_fp == NULL || c->data_werr)
		return;
	if ((len > 0 && fwrite(line, 1, len, c->data_fp) != len) ||
	    fwrite("\r\n", 1, 2, c->data_fp) != 2)
		c->data_werr = true;
}

/*
 * Make the message file final: flushed (and with the fsync option on
 * stable storage), renamed from .tmp.  Returns its path (owned), or NULL
 * if there is no maildir or storing failed (the file is gone then).
 */
static char *
smtp_store_finish(struct smtp_sess *c)
{
	FILE *fp = c->data_fp;
	char *path;
	size_t n;
	bool ok;

	if (fp == NULL)
		return NULL;
	c->data_fp = NULL;
	ok = !c->data_werr && fflush(fp) == 0 && !ferror(fp);
	if (ok && c->srv->o.fsync && fsync(fileno(fp)) != 0)
		ok = false;
	ok = fclose(fp) == 0 && ok;
	n = strlen(c->data_tmp) - 4; /* without ".tmp" */
	path = xstrndup(c->data_tmp, n);
	if (!ok || rename(c->data_tmp, path) != 0) {
		free(path);
		return NULL; /* the .tmp goes in smtp_sess_reset_tx */
	}
	free(c->data_tmp);
	c->data_tmp = NULL;
	return path;
}

static void
smtp_data_end(struct smtp_sess *c)
{
	struct evlog_ev e;
	char *path = NULL, *rc;
	bool accepted = false;
	size_t i, o;

	if (c->data_size > c->srv->o.max_message)
		smtp_reply(c, "552 5.3.4 Error: message file too big");
	else if (c->data_long)
		smtp_reply(c, "500 5.5.2 Error: line too long");
	else if (c->data_nul)
		smtp_reply(c, "500 5.6.0 Error: NUL character in message");
	else {
		path = smtp_store_finish(c);
		if (c->srv->o.maildir != NULL && path == NULL)
			smtp_reply(c, "451 4.3.0 Error: cannot store message");
		else {
			accepted = true;
			if (c->tls == SMTP_TLS_ON)
				c->delivered_tls++;
			else
				c->delivered_plain++;
			smtp_reply(c, "250 2.0.0 Ok: queued as %llu.%u",
			    (unsigned long long)c->id,
			    c->delivered_tls + c->delivered_plain);
		}
	}
	if (c->srv->o.log != NULL) {
		smtp_ev_begin(&e, c, "smtp.message");
		evlog_str(&e, "from", c->mail_from);
		/* Recipients as a JSON array, bounded by the line size. */
		rc = xmalloc(EVLOG_MAX_LINE / 2);
		o = 0;
		rc[o++] = '[';
		for (i = 0; i < c->n_rcpts; i++) {
			size_t n = evlog_escape(rc + o + (i > 0),
			    EVLOG_MAX_LINE / 2 - o - 3, c->rcpts[i]);

			if (n == 0)
				break;
			if (i > 0)
				rc[o] = ',';
			o += n + (i > 0);
		}
		rc[o++] = ']';
		rc[o] = '\0';
		evlog_raw(&e, "rcpts", rc);
		free(rc);
		evlog_int(&e, "size", (long long)c->data_size);
		evlog_bool(&e, "tls", c->tls == SMTP_TLS_ON);
		evlog_str(&e, "handshake",
		    c->tls == SMTP_TLS_ON ? "ok" : "none");
		evlog_bool(&e, "accepted", accepted);
		evlog_int(&e, "code", c->last_code);
		evlog_str(&e, "reply", c->last_reply);
		evlog_str(&e, "path", path);
		evlog_end(&e);
	}
	free(path);
	smtp_sess_reset_tx(c);
}

static void
smtp_data_line(struct smtp_sess *c, const char *line, size_t len)
{
	if (len == 1 && line[0] == '.') {
		smtp_data_end(c);
		return;
	}
	if (len > 0 && line[0] == '.') { /* RFC 5321 4.5.2 */
		line++;
		len--;
	}
	if (memchr(line, '\0', len) != NULL)
		c->data_nul = true;
	c->data_size += len + 2;
	if (c->data_size > c->srv->o.max_message)
		return; /* counted, not kept: 552 at the end */
	smtp_store_line(c, line, len);
}

static void
smtp_too_long(struct smtp_sess *c, size_t n)
{
	if (c->in_data) {
		c->data_long = true;
		c->data_size += n;
		return;
	}
	smtp_reply(c, "500 5.5.2 Error: line too long");
	smtp_ev_command(c, "", NULL);
	smtp_error(c);
}

void
smtp_sess_greet(struct smtp_sess *c)
{
	char hb[256];

	smtp_reply(
	    c, "220 %s ESMTP danelab", smtp_host_name(c, hb, sizeof(hb)));
}

/*
 * Handle the complete lines in the input, in order (pipelining), while
 * the output stays below the high mark and no TLS switch is pending.
 * A line is up to LF; a CR before it is dropped (bare LF is accepted, as
 * most servers do).  A line longer than the limit (commands 512, text
 * 1000, CRLF included) is answered (or marks the message) and skipped up
 * to its end.
 */
void
smtp_sess_input(struct smtp_sess *c)
{
	c->in_off = 0;
	while (!c->closing && c->tls != SMTP_TLS_PENDING &&
	    c->out_len - c->out_off < SMTP_OUT_HIGH) {
		char *line = c->in + c->in_off, *nl;
		size_t avail = c->in_len - c->in_off, len, limit;

		limit = c->in_data ? SMTP_TEXT_MAX : SMTP_CMD_MAX;
		nl = memchr(line, '\n', avail);
		if (nl == NULL) {
			if (avail >= limit) {
				if (!c->discard_line)
					smtp_too_long(c, avail);
				else if (c->in_data)
					c->data_size += avail;
				c->discard_line = true;
				c->in_off = c->in_len;
			}
			break;
		}
		len = (size_t)(nl - line) + 1;
		c->in_off += len;
		c->lines++; /* progress, for the line timeout */
		if (c->discard_line) {
			c->discard_line = false;
			if (c->in_data)
				c->data_size += len;
			continue;
		}
		if (len > limit) {
			smtp_too_long(c, len);
			continue;
		}
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (c->in_data)
			smtp_data_line(c, line, len);
		else
			smtp_command(c, line, len);
	}
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
}
