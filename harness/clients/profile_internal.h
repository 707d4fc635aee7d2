/*
 * profile_internal.h -- shared between the files of harness/clients only.
 *
 * The template scanner is used both by the loader (to reject unknown
 * variables at load time, with a position) and by the renderer; the
 * deviations parser is called by the loader.  Nothing here is public.
 */
#ifndef DL_HARNESS_CLIENTS_PROFILE_INTERNAL_H
#define DL_HARNESS_CLIENTS_PROFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/clients/profile.h"

/*
 * Check template t: every "{name}" names a variable of profile_var_names,
 * braces are paired or doubled.  Returns 0, or DL_EINVAL with a message
 * (what is wrong, quoting the offending part) in why.
 */
int profile_template_check(const char *t, char *why, size_t len);

/*
 * Parse the deviations file path (text, len bytes) into p->devs.
 * Returns 0 or DL_EINVAL (diagnostics at path:line:col).
 */
int profile_dev_parse(struct client_profile *p, const char *path,
    const char *text, size_t len, struct dl_diags *diags);

/* Copy a host name (n bytes of src): lower case, no final dot, bounded. */
void profile_host_copy(char *dst, size_t len, const char *src, size_t n);

#define PROFILE_PATTERN_MAX_COST 4096 /* nodes of an expanded pattern */
#define PROFILE_PATTERN_MAX_DEPTH 16  /* nested groups of a pattern */

/*
 * Whether pattern pat (POSIX extended) is within the bounds that keep
 * regcomp small (profile_pattern.c): its expansion at most
 * PROFILE_PATTERN_MAX_COST nodes, counts at most 255, groups nested at
 * most PROFILE_PATTERN_MAX_DEPTH deep, no back-reference.  Returns 0, or DL_EINVAL with the
 * byte offset of the offending part in *where and the reason in why.
 * Syntax errors are left to regcomp.
 */
int profile_pattern_check(const char *pat, size_t *where, char *why,
    size_t len);

#define PROFILE_MAX_LINE 4096	/* longer lines are matched truncated */

/*
 * Call fn(line, arg) for every line of output (len bytes): at most
 * PROFILE_MAX_LINE bytes of it, NUL bytes dropped (they would end it
 * early), a final '\r' dropped.
 */
void profile_each_line(const char *output, size_t len,
    void (*fn)(const char *line, void *arg), void *arg);

#endif /* DL_HARNESS_CLIENTS_PROFILE_INTERNAL_H */
